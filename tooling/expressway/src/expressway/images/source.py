"""Where a deploy gets each service's image: the one seam between deploying and building images.

Three sources: images named on the command line (`GivenImages`), images built from this checkout and
pushed to ECR (`images.built.BuiltImages`), and, for the local cloud, source markers (`SourceImages`):
the local cloud runs services from source, so the "image" names the source it runs."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from expressway.errors import UsageError


class ImageSource(Protocol):
    """Gives the image reference (ideally pinned by digest) to deploy for a service."""

    def image(self, service: str) -> str:
        """The image for registry service `service`; raises ExpresswayError when it has none."""
        ...

    def planned(self, service: str) -> str | None:
        """The image a deploy would use if known without side effects (no build), else None."""
        ...


class GivenImages:
    """Images named on the command line: `--image URI` for every service, or `--image svc=URI`."""

    def __init__(self, default: str | None = None, per_service: Mapping[str, str] | None = None) -> None:
        self.default = default
        self.per_service = dict(per_service or {})

    @classmethod
    def parse(cls, values: list[str]) -> GivenImages:
        """From repeated `--image` values; `svc=URI` when the part before '=' has no '/' or ':'."""
        default: str | None = None
        per: dict[str, str] = {}
        for value in values:
            name, sep, uri = value.partition("=")
            if sep and name and not any(c in name for c in "/:@"):
                per[name] = uri
            else:
                default = value
        return cls(default, per)

    def image(self, service: str) -> str:
        found = self.per_service.get(service, self.default)
        if not found:
            raise UsageError(
                f"deploy {service}: no image given",
                hint=f"pass `--image URI` (or `--image {service}=URI`) with an image the service can pull",
            )
        return found

    def planned(self, service: str) -> str | None:
        """The image if one was given, else None (plans then show the running image)."""
        return self.per_service.get(service, self.default)


# Folders that hold no source: caches, virtual environments, build output.
_SKIP = {"__pycache__", ".venv", ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache", "node_modules"}


def source_digest(*folders: Path) -> str:
    """12 hex digits over every file's path and bytes under `folders` (what the service would run)."""
    digest = hashlib.sha256()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not _SKIP.intersection(path.relative_to(folder).parts):
                digest.update(path.relative_to(folder.parent).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class SourceImages:
    """The ImageSource of a local environment: `local/<service>:<version>-<source digest>`.

    Nothing is built or pulled (the supervisor runs the workspace's code), yet an edited service
    gets a new tag and so a new revision, which is what makes the supervisor restart it.
    """

    def __init__(self, root: Path, version: str, service_paths: dict[str, str]) -> None:
        self.root = root
        self.version = version
        self.service_paths = service_paths

    def image(self, service: str) -> str:
        folders = [self.root / self.service_paths.get(service, service), self.root / "libs"]
        return f"local/{service}:{self.version}-{source_digest(*folders)}"

    def planned(self, service: str) -> str | None:
        return self.image(service)
