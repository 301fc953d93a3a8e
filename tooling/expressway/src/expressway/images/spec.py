"""What an image is made of: the service, its target platform and its base, as plain frozen data,
and how a services.toml entry plus its workspace member's metadata become one."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from expressway.images.errors import ImageError
from expressway.registry import DEFAULT_BASE_IMAGE, ResolvedService

Architecture = Literal["x86_64", "arm64"]

# Wheels are chosen for the oldest glibc among the bases we support: Debian 12 (bookworm) has 2.36,
# python:3.11-slim (trixie) has 2.41. A manylinux_2_36 wheel runs on both; a newer one might not.
GLIBC = "2.36"

_DOCKER_PLATFORM = {"x86_64": "linux/amd64", "arm64": "linux/arm64"}
_WHEEL_MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}
_PYTHON_IN_TAG = re.compile(r"^(?:.*/)?python:(?P<version>3\.\d+)(?:[.\-@].*)?$")
_PYTHON_VERSION = re.compile(r"^3\.\d+$")


@dataclass(frozen=True)
class ImageSpec:
    """One service's image: which distribution, which ASGI app on which port, for which platform."""

    service: str  # registry key, e.g. "sensors"
    distribution: str  # workspace distribution name, e.g. "homestack-sensors"
    path: str  # the service's folder, relative to the repository root
    app: str  # "module:attribute" of the ASGI app
    port: int = 8000
    architecture: Architecture = "x86_64"
    base_image: str = DEFAULT_BASE_IMAGE
    # Python inside the base image; read from a `python:X.Y...` tag when not given.
    python_version: str | None = None
    revision: str = ""  # full git commit SHA, for the OCI revision label
    source: str = ""  # repository URL, for the OCI source label

    def __post_init__(self) -> None:
        if ":" not in self.app or self.app.startswith(":") or self.app.endswith(":"):
            raise ImageError(
                f"image for {self.service!r}: app {self.app!r} is not `module:attribute`",
                hint='e.g. app = "homestack_sensors.app:app"',
            )
        if not 1 <= self.port <= 65535:
            raise ImageError(f"image for {self.service!r}: port {self.port} is not in 1..65535")
        if self.architecture not in _DOCKER_PLATFORM:
            raise ImageError(
                f"image for {self.service!r}: architecture {self.architecture!r} is not supported",
                hint="use x86_64 or arm64",
            )
        if self.python_version is not None and not _PYTHON_VERSION.match(self.python_version):
            raise ImageError(
                f"image for {self.service!r}: python_version {self.python_version!r} is not `3.N`"
            )

    @property
    def python(self) -> str:
        """The base image's Python as `3.N`: the version the dependencies are chosen for."""
        if self.python_version is not None:
            return self.python_version
        match = _PYTHON_IN_TAG.match(self.base_image)
        if match is None:
            raise ImageError(
                f"image for {self.service!r}: cannot tell which Python base image {self.base_image!r} runs",
                hint='give python_version (e.g. "3.12") for a base that is not `python:3.N-...`',
            )
        return match.group("version")

    @property
    def platform(self) -> str:
        """The OCI platform string builders take, e.g. `linux/amd64`."""
        return _DOCKER_PLATFORM[self.architecture]

    @property
    def wheel_platform(self) -> str:
        """The platform uv selects wheels for, e.g. `x86_64-manylinux_2_36`."""
        return f"{_WHEEL_MACHINE[self.architecture]}-manylinux_{GLIBC.replace('.', '_')}"


def distribution_name(root: Path, path: str) -> str:
    """The `[project] name` of the workspace member at `path`."""
    manifest = root / path / "pyproject.toml"
    try:
        return str(tomllib.loads(manifest.read_text())["project"]["name"])
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise ImageError(
            f"cannot build an image from {path}: {manifest.name} is missing or has no [project] name"
        ) from exc


def image_spec(
    root: Path,
    service: ResolvedService,
    *,
    revision: str = "",
    source: str = "",
    base_image: str | None = None,
    python_version: str | None = None,
) -> ImageSpec:
    """The image of one resolved service; `base_image`/`python_version` override the registry's."""
    return ImageSpec(
        service=service.key,
        distribution=distribution_name(root, service.path),
        path=service.path,
        app=service.app,
        port=service.port,
        architecture=service.architecture,
        base_image=base_image or service.base_image,
        python_version=python_version,
        revision=revision,
        source=source,
    )
