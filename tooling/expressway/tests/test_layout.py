"""The rules docs/design.md draws for expressway's packages, checked on the source: boto3 only in the
aws layer, no import cycles (an import inside a function counts), the pure layers import no AWS."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import expressway
from expressway.deploy.changed import Workspace
from expressway.testing import import_cycles, import_graph

ROOT = Path(expressway.__file__).parent
GRAPH = import_graph(ROOT, "expressway")
AWS_SDKS = ("boto3", "botocore", "mypy_boto3_", "s3transfer")
# The pure layers and what each may import from expressway (besides itself).
PURE = {
    "expressway.registry": ("expressway.errors",),
    "expressway.plan": ("expressway.errors", "expressway.registry"),
}
# The layers between them and the verbs: what else of expressway each may import.
LAYERS = {
    **PURE,
    "expressway.aws": (
        "expressway.errors",
        "expressway.registry",
        "expressway.plan.live",
        "expressway.plan.tasks",
        "expressway.plan.arns",
        "expressway.images.auth",
    ),
    "expressway.images": ("expressway.errors", "expressway.registry", "expressway.aws.ecr"),
}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _sdk(module: str) -> bool:
    prefixes = tuple(sdk if sdk.endswith("_") else sdk + "." for sdk in AWS_SDKS)
    return module in AWS_SDKS or module.startswith(prefixes)


def test_the_graph_covers_every_module_and_sees_imports_inside_functions() -> None:
    assert "expressway.deploy.deployer" in GRAPH
    assert "expressway.cli.commands" in GRAPH
    # cli/commands.py loads the local cloud inside a function; the graph still sees it
    assert "importlib" in GRAPH["expressway.cli.commands"]


def test_boto3_and_botocore_are_imported_only_under_the_aws_layer() -> None:
    offenders = {
        module: sorted(m for m in imported if _sdk(m))
        for module, imported in GRAPH.items()
        if not _within(module, "expressway.aws")
    }
    assert {module: found for module, found in offenders.items() if found} == {}


def test_no_expressway_modules_import_each_other_in_a_circle() -> None:
    assert import_cycles(GRAPH) == []


@pytest.mark.parametrize("layer", sorted(PURE))
def test_the_pure_layers_import_no_aws_sdk(layer: str) -> None:
    offenders = {
        m: sorted(i for i in imported if _sdk(i)) for m, imported in GRAPH.items() if _within(m, layer)
    }
    assert {module: found for module, found in offenders.items() if found} == {}


def _may_import(module: str, allowed: tuple[str, ...]) -> bool:
    """Within an allowed layer or module, or a package above one (importing `expressway.images.auth`
    runs `expressway/images/__init__.py` first: the next test keeps such a package that light)."""
    return any(_within(module, a) or a.startswith(module + ".") for a in allowed)


def _offenders(modules: list[str], allowed: tuple[str, ...]) -> dict[str, list[str]]:
    found = {
        module: sorted(m for m in GRAPH[module] if _within(m, "expressway") and not _may_import(m, allowed))
        for module in modules
    }
    return {module: imported for module, imported in found.items() if imported}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_each_layer_imports_only_the_layers_below_it(layer: str) -> None:
    allowed = (layer, *LAYERS[layer])
    assert _offenders([m for m in GRAPH if _within(m, layer)], allowed) == {}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_the_packages_a_layer_imports_through_load_only_what_it_may_import(layer: str) -> None:
    allowed = (layer, *LAYERS[layer])
    above = sorted(
        {m for m in GRAPH for a in LAYERS[layer] if a.startswith(m + ".") and not _within(layer, m)}
    )
    assert _offenders(above, allowed) == {}


def test_the_aws_layer_loads_no_builder_when_python_runs_it() -> None:
    """What the graph predicts, as Python does it: the ECR gateway loads only the images it may."""
    probe = "import sys, expressway.aws.ecr\nfor m in sorted(sys.modules): print(m)"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    images = [m for m in loaded.stdout.split() if _within(m, "expressway.images")]
    assert images == ["expressway.images", "expressway.images.auth"]


def test_the_local_cloud_is_loaded_only_by_the_dev_command() -> None:
    users = sorted(m for m, imported in GRAPH.items() if any(_within(i, "localcloud") for i in imported))
    assert users == []  # `dev` finds it by name at run time (importlib), so no module imports it


def test_the_checker_finds_a_cycle_hidden_inside_a_function(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("def late():\n    from pkg.a import x\n    return x\n")
    (package / "c.py").write_text("from . import a\nimport boto3\n")

    graph = import_graph(package, "pkg")

    assert import_cycles(graph) == [["pkg.a", "pkg.b"]]
    assert graph["pkg.c"] == {"pkg.a", "boto3"}


def test_the_checker_finds_a_cycle_through_a_package_init(tmp_path: Path) -> None:
    """Importing `pkg.sub.auth` runs `pkg/sub/__init__.py` first: whatever that imports is loaded too."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from pkg.sub.heavy import Heavy\n")
    (package / "sub" / "auth.py").write_text("class Auth: ...\n")
    (package / "sub" / "heavy.py").write_text("from pkg.other import Other\nclass Heavy: ...\n")
    (package / "other.py").write_text("from pkg.sub.auth import Auth\nclass Other: ...\n")

    graph = import_graph(package, "pkg")

    assert graph["pkg.other"] == {"pkg.sub", "pkg.sub.auth"}
    assert graph["pkg.sub.heavy"] == {"pkg.other"}  # its own package is loaded before it: no edge
    assert import_cycles(graph) == [["pkg.other", "pkg.sub", "pkg.sub.heavy"]]


def test_installing_expressway_installs_neither_moto_nor_uvicorn() -> None:
    """What `uv export --package expressway --no-dev` lists: the run-time closure in uv.lock."""
    lock = Path(__file__).resolve().parents[3] / "uv.lock"
    closure = Workspace.from_lock(lock.read_text()).closure("expressway")
    assert {"boto3", "pydantic", "httpx"} <= closure
    assert not closure & {"moto", "uvicorn", "localcloud", "werkzeug", "flask"}
    assert "moto" in Workspace.from_lock(lock.read_text()).closure("localcloud")  # the lock was read
