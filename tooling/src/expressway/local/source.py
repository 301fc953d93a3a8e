"""Deploying to the local cloud: services run from source, so the "image" names the source it ran,
and `<service>.localhost` URLs are reached on loopback as a browser would reach them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

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


class LocalhostTransport(httpx.BaseTransport):
    """Sends requests for `localhost` and `*.localhost` to 127.0.0.1, keeping the Host header.

    Such names are loopback by definition (RFC 6761) and browsers resolve them so, but the system
    resolver often does not; the local router then routes by the Host it receives, like the ALB.
    """

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host == "localhost" or host.endswith(".localhost"):
            request.url = request.url.copy_with(host="127.0.0.1")  # Host was set from the original URL
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()
