"""ImageSpec: which Python and platform an image's dependencies are chosen for."""

from __future__ import annotations

import pytest

from expressway.images.errors import ImageError
from expressway.images.spec import ImageSpec


def spec(**fields: object) -> ImageSpec:
    values: dict[str, object] = {
        "service": "sensors",
        "distribution": "homestack-sensors",
        "path": "services/sensors",
        "app": "homestack_sensors.app:app",
    }
    values.update(fields)
    return ImageSpec(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("base", "python"),
    [
        ("python:3.12-slim", "3.12"),
        ("python:3.13", "3.13"),
        ("public.ecr.aws/docker/library/python:3.11-slim-bookworm", "3.11"),
        ("python:3.12.7-slim", "3.12"),
        ("python:3.12@sha256:" + "a" * 64, "3.12"),
    ],
)
def test_python_is_read_from_an_official_python_tag(base: str, python: str) -> None:
    assert spec(base_image=base).python == python


def test_explicit_python_version_wins_for_any_base() -> None:
    assert spec(base_image="localhost/pybase:bookworm", python_version="3.11").python == "3.11"


def test_unknown_base_without_python_version_is_an_error_with_a_hint() -> None:
    with pytest.raises(ImageError, match="cannot tell which Python") as caught:
        _ = spec(base_image="localhost/pybase:bookworm").python
    assert caught.value.hint is not None
    assert "python_version" in caught.value.hint


@pytest.mark.parametrize(
    ("architecture", "platform", "wheels"),
    [
        ("x86_64", "linux/amd64", "x86_64-manylinux_2_36"),
        ("arm64", "linux/arm64", "aarch64-manylinux_2_36"),
    ],
)
def test_architecture_maps_to_build_platform_and_wheel_platform(
    architecture: str, platform: str, wheels: str
) -> None:
    image = spec(architecture=architecture)
    assert image.platform == platform
    assert image.wheel_platform == wheels


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"app": "homestack_sensors.app"}, "is not `module:attribute`"),
        ({"app": ":app"}, "is not `module:attribute`"),
        ({"port": 0}, "port 0 is not in 1..65535"),
        ({"port": 70000}, "port 70000 is not in 1..65535"),
        ({"architecture": "riscv64"}, "architecture 'riscv64' is not supported"),
        ({"python_version": "3"}, "python_version '3' is not `3.N`"),
    ],
)
def test_invalid_fields_are_rejected_naming_the_service(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ImageError, match="image for 'sensors'") as caught:
        spec(**fields)
    assert message in str(caught.value)
