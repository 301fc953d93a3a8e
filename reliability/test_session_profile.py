"""A profile that does not exist (a typo in AWS_PROFILE, or `profile` in services.toml) is found when
boto3 makes a session, before any AWS call. Every verb that reaches AWS must then say which
environment could not open a session and why, with a hint, and exit 1: never a botocore traceback.
Run against the repository's own services.toml, the way a user meets it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from expressway.aws import session
from expressway.cli import main
from expressway.console import Console

ROOT = Path(__file__).resolve().parents[1]
VERBS = [
    ["status", "--env", "prod"],
    ["history", "ingest", "--env", "prod"],
    ["logs", "ingest", "--env", "prod"],
    ["plan", "ingest", "--env", "prod", "--image", "registry.example/ingest@sha256:" + "0" * 64],
    ["policy", "--env", "prod"],
    ["doctor", "--env", "prod"],
    ["deploy", "ingest", "--env", "prod"],
    ["destroy", "ingest", "--env", "prod", "--yes"],
]


@pytest.fixture
def missing_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_PROFILE names a profile no config file holds (and no AWS is reachable: nothing is called)."""
    empty = tmp_path / "aws-config"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_PROFILE", "nope")
    session.reset()


@pytest.mark.usefixtures("missing_profile")
@pytest.mark.parametrize("argv", VERBS, ids=lambda argv: argv[0])
def test_a_missing_profile_is_one_error_naming_the_environment(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()

    code = main(["--registry", str(ROOT / "services.toml"), *argv], Console(out, err))

    assert code == 1
    assert "error: open AWS session for prod: the config profile (nope) could not be found" in err.getvalue()
    assert "hint: check AWS_PROFILE and `profile` in services.toml" in err.getvalue()
    assert "Traceback" not in err.getvalue() + out.getvalue()
