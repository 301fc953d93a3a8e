"""`expressway new NAME`: a working FastAPI service on libs/common, registered in services.toml."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from expressway.errors import ConfigError, ExpresswayError, UsageError
from expressway.registry import parse
from expressway.registry.models import NAME

Locker = Callable[[Path], None]

_PYPROJECT = """\
[project]
name = "homestack-{name}"
version = "0.1.0"
description = "The {name} service."
requires-python = ">=3.11"
dependencies = [
  "homestack-common",
  "fastapi>=0.165",
  "uvicorn[standard]>=0.54",
]

[tool.uv.sources]
homestack-common = {{ workspace = true }}

[build-system]
requires = ["uv_build>=0.13.9,<0.14"]
build-backend = "uv_build"
"""
_INIT = '"""The {name} service of homestack."""\n'
_CONFIG = '''\
"""The {name} service's settings, read from the environment when the app starts."""

from __future__ import annotations

from homestack_common import ServiceSettings, settings_provider


class Settings(ServiceSettings):
    """Environment of the {name} service; add its own fields here."""

    greeting: str = "hello from {name}"


get_settings = settings_provider(Settings)
'''
_APP = '''\
"""The {name} service app: `uvicorn {module}.app:app` (settings are read at startup)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from homestack_common import create_app
from {module}.config import Settings, get_settings

router = APIRouter(tags=["{name}"])


class Greeting(BaseModel):
    service: str
    version: str
    greeting: str


@router.get("/", summary="Say hello, with the deployed version")
async def read_root(settings: Annotated[Settings, Depends(get_settings)]) -> Greeting:
    return Greeting(service="{name}", version=settings.app_version, greeting=settings.greeting)


app = create_app(name="{name}", settings=get_settings, routers=[router], title="homestack {name}")
'''
_TEST = '''\
"""The {name} service as a caller sees it: health with the version, and its greeting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from homestack_common.testing import client_for
from {module}.app import app
from {module}.config import Settings, get_settings


@pytest.fixture
def client() -> Iterator[TestClient]:
    with get_settings.override(Settings(app_version="v1", greeting="hi")), client_for(app) as client:
        yield client


def test_health_reports_the_service_and_its_version(client: TestClient) -> None:
    answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {{"status": "ok", "service": "{name}", "version": "v1"}}


def test_root_greets_with_the_configured_greeting(client: TestClient) -> None:
    answer = client.get("/")
    assert answer.status_code == 200
    assert answer.json() == {{"service": "{name}", "version": "v1", "greeting": "hi"}}
    assert answer.headers["x-request-id"]


def test_unknown_path_answers_a_json_404(client: TestClient) -> None:
    answer = client.get("/nope")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/json")
'''


@dataclass(frozen=True)
class Scaffolded:
    """What `new` made, and what to run next."""

    name: str
    folder: Path
    files: tuple[Path, ...]
    next_commands: tuple[str, ...]


def run_uv_lock(root: Path) -> None:
    """`uv lock` in `root`, so the new member is in uv.lock (nox syncs with --locked)."""
    uv = shutil.which("uv")
    if uv is None:
        raise ExpresswayError("uv lock: uv is not installed", hint="python3 -m pip install 'uv==0.13.9'")
    # Fixed argv to the uv found on PATH, no shell.
    done = subprocess.run([uv, "lock"], cwd=root, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ExpresswayError(f"uv lock: failed: {last}", hint="run `uv lock` yourself to see why")


def _check(root: Path, name: str, folder: Path, registry_text: str) -> None:
    if not NAME.match(name) or len(name) > 30:
        raise UsageError(
            f"new {name}: not a valid service name",
            hint="use 1-30 of a-z, 0-9 and '-', starting with a letter",
        )
    if name in tomllib.loads(registry_text).get("services", {}):
        raise UsageError(f"new {name}: services.toml already has a service {name!r}")
    if folder.exists():
        raise UsageError(f"new {name}: {folder} already exists", hint="pick another name or remove it")
    members = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]["members"]
    relative = folder.relative_to(root).as_posix()
    if not any(fnmatch.fnmatch(relative, pattern) for pattern in members):
        raise ConfigError(
            [f"new {name}: {relative} is not a workspace member"],
            hint="add 'services/*' to [tool.uv.workspace] members in pyproject.toml",
        )


def _register(registry_text: str, name: str, module: str) -> str:
    """services.toml text with `[services.NAME]` appended; comments and layout kept (tomlkit)."""
    document = tomlkit.parse(registry_text)
    entry = tomlkit.table()
    entry.add(tomlkit.comment(f"scaffolded by `expressway new {name}`"))
    entry.add("path", f"services/{name}")
    entry.add("app", f"{module}.app:app")
    entry.add("port", 8000)
    entry.add("health", "/health")
    entry.add("cpu", 256)
    entry.add("memory", 512)
    scaling = tomlkit.inline_table()
    scaling.update({"min": 1, "max": 2, "metric": "cpu", "target": 60})
    entry.add("scaling", scaling)
    env = tomlkit.inline_table()
    env.update({"LOG_LEVEL": "info"})
    entry.add("env", env)
    services = document.get("services")
    if services is None:
        services = tomlkit.table(is_super_table=True)
        document.add("services", services)
    services.add(name, entry)
    return tomlkit.dumps(document)


def scaffold(root: Path, name: str, *, lock: Locker = run_uv_lock) -> Scaffolded:
    """Create services/NAME, register it and lock; on any failure nothing is left half-made."""
    registry_path = root / "services.toml"
    before = registry_path.read_text()
    folder = root / "services" / name
    _check(root, name, folder, before)
    module = f"homestack_{name.replace('-', '_')}"
    after = _register(before, name, module)
    parse(after, "services.toml")  # the new entry must be valid before anything is written
    files = {
        folder / "pyproject.toml": _PYPROJECT,
        folder / "src" / module / "__init__.py": _INIT,
        folder / "src" / module / "py.typed": "",
        folder / "src" / module / "config.py": _CONFIG,
        folder / "src" / module / "app.py": _APP,
        folder / "tests" / "test_app.py": _TEST,
    }
    lock_path = root / "uv.lock"
    old_lock = lock_path.read_text() if lock_path.is_file() else None
    try:
        for path, template in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(template.format(name=name, module=module))
        registry_path.write_text(after)
        lock(root)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        registry_path.write_text(before)
        if old_lock is not None:
            lock_path.write_text(old_lock)
        raise
    return Scaffolded(
        name=name,
        folder=folder,
        files=tuple(files),
        next_commands=(
            f'nox -s "tests({name})"',
            "nox -s lint typecheck",
            f"nox -s deploy -- {name} --env local   # into the running local cloud (`nox -s dev`)",
            f"nox -s plan -- {name} --env prod",
            f"nox -s deploy -- {name} --env prod",
        ),
    )
