"""Build-context assembly, run with the real uv against a copy of this workspace."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from expressway.images.context import BuildContext, assemble_context
from expressway.images.dockerfile import CONTEXT_LABEL
from expressway.images.errors import ImageError
from expressway.images.spec import ImageSpec

ROOT = Path(__file__).resolve().parents[4]
_COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".nox", ".work", ".git", "__pycache__", "*.pyc", ".*_cache", "node_modules"
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the workspace, so a test can change a source file without touching the repo."""
    copy = tmp_path_factory.mktemp("workspace")
    for name in ("pyproject.toml", "uv.lock", "services.toml"):
        shutil.copy2(ROOT / name, copy / name)
    for folder in ("libs", "services", "tooling"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=_COPY_IGNORE)
    return copy


def _sensors() -> ImageSpec:
    # A Python other than the default's (3.11, below), so the tests see each base pick its own wheels.
    return image("sensors", base_image="python:3.12-slim")


def image(service: str, **fields: str) -> ImageSpec:
    return ImageSpec(
        service=service,
        distribution=f"homestack-{service}",
        path=f"services/{service}",
        app=f"homestack_{service}.app:app",
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def sensors(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> BuildContext:
    out = tmp_path_factory.mktemp("ctx") / "sensors"
    return assemble_context(_sensors(), workspace, out, epoch=1767225600)


def distributions(layer: Path) -> dict[str, str]:
    """{normalized name: version} of every package installed in a layer folder."""
    found = {}
    for info in layer.glob("*.dist-info"):
        name, version = info.name.removesuffix(".dist-info").rsplit("-", 1)
        found[re.sub(r"[-_.]+", "-", name).lower()] = version
    return found


def locked(requirements: Path) -> tuple[dict[str, str], set[str]]:
    """The pins of an exported requirements file, and the names whose line has a marker."""
    pins: dict[str, str] = {}
    marked: set[str] = set()
    for name, version, marker in re.findall(
        r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)( ;)?", requirements.read_text(), re.MULTILINE
    ):
        normal = re.sub(r"[-_.]+", "-", name).lower()
        pins[normal] = version
        if marker:
            marked.add(normal)
    return pins, marked


def test_third_party_packages_are_exactly_the_locked_runtime_closure(sensors: BuildContext) -> None:
    installed = distributions(sensors.path / "deps")
    pins, marked = locked(sensors.path / "requirements.txt")
    # every installed package is pinned as locked; every unconditional pin is installed (a marked
    # one, like an emscripten-only package, only when its marker holds on linux)
    assert installed.items() <= pins.items()
    assert pins.keys() - marked <= installed.keys()
    assert {"fastapi", "uvicorn", "pydantic-core", "boto3", "uvloop"} <= installed.keys()
    # the root dev group and other members' dependencies stay out
    assert not {"pytest", "mypy", "ruff", "moto", "hypothesis", "jinja2"} & installed.keys()


def test_versions_match_uv_lock(sensors: BuildContext) -> None:
    lock = (ROOT / "uv.lock").read_text()
    for name, version in distributions(sensors.path / "deps").items():
        assert f'name = "{name}"\nversion = "{version}"' in lock, name


def test_compiled_wheels_are_for_the_base_images_python_and_the_target_arch(
    sensors: BuildContext, workspace: Path, tmp_path: Path
) -> None:
    assert list((sensors.path / "deps" / "pydantic_core").glob("*.cpython-312-x86_64-linux-gnu.so"))
    arm = assemble_context(
        image("sensors", architecture="arm64", base_image="localhost/pybase", python_version="3.11"),
        workspace,
        tmp_path / "arm",
        epoch=1,
    )
    assert list((arm.path / "deps" / "pydantic_core").glob("*.cpython-311-aarch64-linux-gnu.so"))


def test_only_the_workspace_members_the_service_needs_are_installed(
    sensors: BuildContext, workspace: Path, tmp_path: Path
) -> None:
    packages = {p.name for p in (sensors.path / "app").iterdir() if not p.name.endswith(".dist-info")}
    assert packages == {"homestack_common", "homestack_sensordata", "homestack_sensors"}
    dashboard = assemble_context(image("dashboard"), workspace, tmp_path / "dash", epoch=1)
    packages = {p.name for p in (dashboard.path / "app").iterdir() if not p.name.endswith(".dist-info")}
    assert packages == {"homestack_common", "homestack_dashboard"}
    assert "boto3" not in distributions(dashboard.path / "deps")


def test_no_scripts_caches_or_tests_are_shipped(sensors: BuildContext) -> None:
    shipped = [p.relative_to(sensors.path).as_posix() for p in sensors.path.rglob("*")]
    assert not [p for p in shipped if p.split("/")[1:2] == ["bin"]]
    assert not [p for p in shipped if "__pycache__" in p or p.endswith(".pyc")]
    assert not [p for p in shipped if p.startswith("app/") and "/tests/" in p]


def test_dockerfile_is_labelled_with_the_context_digest(sensors: BuildContext) -> None:
    assert sensors.digest.startswith("sha256:")
    assert f'{CONTEXT_LABEL}="{sensors.digest}"' in sensors.dockerfile.read_text()


def test_same_source_gives_the_same_digest_and_a_code_change_a_new_one(
    sensors: BuildContext, workspace: Path, tmp_path: Path
) -> None:
    again = assemble_context(_sensors(), workspace, tmp_path / "again", epoch=1767225600)
    assert again.digest == sensors.digest
    module = workspace / "services" / "sensors" / "src" / "homestack_sensors" / "__init__.py"
    original = module.read_text()
    try:
        module.write_text(original + "\n# changed\n")
        changed = assemble_context(_sensors(), workspace, tmp_path / "changed", epoch=1767225600)
    finally:
        module.write_text(original)
    assert changed.digest != sensors.digest


def test_reassembling_replaces_what_was_in_the_output_folder(workspace: Path, tmp_path: Path) -> None:
    stale = tmp_path / "ctx" / "deps" / "stale_package"
    stale.mkdir(parents=True)
    assemble_context(image("dashboard"), workspace, tmp_path / "ctx", epoch=1)
    assert not stale.exists()


def test_folder_without_a_lockfile_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"has no uv\.lock"):
        assemble_context(image("sensors"), tmp_path, tmp_path / "out", epoch=1)
