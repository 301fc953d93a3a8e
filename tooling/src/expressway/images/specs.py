"""ImageSpecs for the services in services.toml: the registry entry plus the member's metadata."""

from __future__ import annotations

import tomllib
from pathlib import Path

from expressway.images.errors import ImageError
from expressway.images.spec import ImageSpec
from expressway.registry import ResolvedService


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
