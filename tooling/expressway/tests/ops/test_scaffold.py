"""`expressway new NAME`: a service that passes its own tests, lint and typecheck in a copy of the repo."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from expressway.cli import main
from expressway.errors import ExpresswayError, UsageError
from expressway.ops.scaffold import scaffold
from expressway.registry import load
from expressway.testing import copy_checkout

REPO = Path(__file__).resolve().parents[4]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of this repository's workspace (sources, registry, lockfile) to scaffold into."""
    copy = tmp_path / "repo"
    copy_checkout(REPO, copy)
    return copy


def _uv() -> str:
    found = shutil.which("uv")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("uv is required in CI (.ci/run installs it)")
        pytest.skip("uv is not installed")
    return found


def _no_lock(_: Path) -> None:
    """Stands in for `uv lock` where a test is about the files, not the lockfile."""


def test_registry_keeps_its_comments_and_gains_a_valid_entry(repo: Path) -> None:
    before = (repo / "services.toml").read_text()
    made = scaffold(repo, "weather", lock=_no_lock)
    after = (repo / "services.toml").read_text()
    assert after.startswith(before.rstrip("\n"))
    assert "# prefix of every AWS resource name" in after
    service = load(repo / "services.toml").services["weather"]
    assert (service.path, service.app, service.cpu, service.memory) == (
        "services/weather",
        "homestack_weather.app:app",
        256,
        512,
    )
    assert (repo / "services/weather/src/homestack_weather/app.py").is_file()
    assert made.next_commands[0] == 'nox -s "tests(weather)"'


def test_existing_or_invalid_names_are_refused_and_nothing_is_written(repo: Path) -> None:
    before = (repo / "services.toml").read_text()
    with pytest.raises(UsageError, match="already has a service 'sensors'"):
        scaffold(repo, "sensors", lock=_no_lock)
    with pytest.raises(UsageError, match="not a valid service name"):
        scaffold(repo, "Bad_Name", lock=_no_lock)
    assert (repo / "services.toml").read_text() == before


def test_a_failed_lock_leaves_no_half_made_service(repo: Path) -> None:
    before = (repo / "services.toml").read_text()

    def failing_lock(_: Path) -> None:
        raise ExpresswayError("uv lock: failed: no network")

    with pytest.raises(ExpresswayError, match="no network"):
        scaffold(repo, "weather", lock=failing_lock)
    assert not (repo / "services/weather").exists()
    assert (repo / "services.toml").read_text() == before


@pytest.mark.slow
def test_new_service_passes_its_own_tests_lint_and_typecheck(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uv = _uv()
    assert main(["--registry", str(repo / "services.toml"), "new", "weather"]) == 0
    assert 'nox -s "tests(weather)"' in capsys.readouterr().out
    assert 'name = "homestack-weather"' in (repo / "uv.lock").read_text()
    venv = repo / ".venv-weather"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)}
    env.pop("VIRTUAL_ENV", None)

    def run(*argv: str) -> None:
        done = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stdout}\n{done.stderr}"

    # Exactly what `nox -s "tests(weather)"` does: only the member and the dev group, from the lock.
    run(uv, "sync", "--locked", "--no-default-groups", "--package", "homestack-weather", "--group", "dev")
    bin_dir = venv / "bin"
    run(str(bin_dir / "pytest"), "services/weather/tests", "-p", "no:cacheprovider")
    run(str(bin_dir / "ruff"), "check", "services/weather")
    run(str(bin_dir / "ruff"), "format", "--check", "services/weather")
    run(str(bin_dir / "mypy"), "services/weather/src", "services/weather/tests")
