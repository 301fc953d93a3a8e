"""Where a deploy gets each service's image: the one seam between deploying and building images.

Three sources: images named on the command line (`GivenImages`), images built from this checkout and
pushed to ECR (`images.built.BuiltImages`), and, for the local cloud, source images (`SourceImages`):
the local cloud runs services from source, so the "image" names a snapshot of the source it runs."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

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
SOURCES = Path(".work") / "sources"  # under the checkout: the local cloud's store of source images
MANIFEST = "manifest.json"


def _files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not _SKIP.intersection(path.relative_to(folder).parts):
                yield path


def source_digest(*folders: Path) -> str:
    """12 hex digits over every file's path and bytes under `folders` (what the service would run)."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in _files(folder):
            digest.update(path.relative_to(folder.parent).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def snapshot_of(root: Path, image: str) -> Path | None:
    """The snapshot folder a source image `local/<service>:<version>-<digest>` names, or None when
    `image` is no source image."""
    service, _, tag = image.removeprefix("local/").partition(":")
    if not image.startswith("local/") or not service or "-" not in tag:
        return None
    return root / SOURCES / tag.rsplit("-", 1)[1]


class SourceImages:
    """The ImageSource of a local environment: `local/<service>:<version>-<source digest>`.

    `image()` snapshots the service's folder and the workspace libraries into
    `<root>/.work/sources/<digest>/` (content-addressed: the digest is over exactly those files),
    with a manifest naming the app, its distribution and the folders to import from. The local cloud
    runs every task from the snapshot its revision names, ahead of the workspace's editable installs,
    so a revision runs the code it was deployed with, and a rollback runs the old code again.
    """

    def __init__(
        self,
        root: Path,
        version: str,
        service_paths: dict[str, str],
        apps: Mapping[str, str] | None = None,
    ) -> None:
        self.root = root
        self.version = version
        self.service_paths = service_paths
        self.apps = dict(apps or {})

    def _folders(self, service: str) -> list[Path]:
        return [self.root / self.service_paths.get(service, service), self.root / "libs"]

    def image(self, service: str) -> str:
        digest = source_digest(*self._folders(service))
        self._snapshot(service, digest)
        return f"local/{service}:{self.version}-{digest}"

    def planned(self, service: str) -> str | None:
        return f"local/{service}:{self.version}-{source_digest(*self._folders(service))}"

    def _snapshot(self, service: str, digest: str) -> None:
        target = self.root / SOURCES / digest
        if (target / MANIFEST).is_file():
            return  # content-addressed: the same digest is the same files
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{digest}-", dir=target.parent))
        try:
            for folder in self._folders(service):
                for path in _files(folder):
                    copy = staging / path.relative_to(self.root)
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, copy)
            (staging / MANIFEST).write_text(json.dumps(self._manifest(service, staging), indent=2))
            os.replace(staging, target)
        except OSError:
            if not (target / MANIFEST).is_file():  # not a parallel deploy that made the same one
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _manifest(self, service: str, staging: Path) -> dict[str, Any]:
        folder = self.service_paths.get(service, service)
        declared = self.root / folder / "pyproject.toml"
        project: dict[str, Any] = (
            tomllib.loads(declared.read_text()).get("project", {}) if declared.is_file() else {}
        )
        libraries = sorted(
            p.relative_to(staging).as_posix() for p in staging.glob("libs/*/src") if p.is_dir()
        )
        sources = [f"{folder}/src", *libraries]
        return {
            "service": service,
            "app": self.apps.get(service, ""),
            "distribution": project.get("name", ""),
            "pythonpath": [path for path in sources if (staging / path).is_dir()],
            "version": self.version,
        }
