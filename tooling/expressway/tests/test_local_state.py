"""How an environment served by the local cloud gets its credentials: from the running local cloud's
owner-only state file, never from the caller's own AWS identity, and a clear error when none runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from expressway.aws import local_state, session
from expressway.errors import ExpresswayError
from expressway.registry import Environment

ENDPOINT = "http://127.0.0.1:4599"
KEYS = {
    "developer": {
        "access_key_id": "AKIADEVELOPER",
        "secret_access_key": "d",
        "arn": "arn:aws:iam::1:user/developer",
    },
    "deployer": {
        "access_key_id": "AKIADEPLOYER",
        "secret_access_key": "p",
        "arn": "arn:aws:iam::1:user/deployer",
    },
}


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "state"
    monkeypatch.setenv(local_state.STATE_DIR_VAR, str(folder))
    monkeypatch.delenv(local_state.ENDPOINT_VAR, raising=False)
    monkeypatch.delenv(local_state.IDENTITY_VAR, raising=False)
    session.reset()
    return folder


def publish(identities: dict[str, dict[str, str]], endpoint: str = ENDPOINT, pid: int | None = None) -> Path:
    path = local_state.state_path(endpoint)
    local_state.write(path, local_state.LocalState(endpoint, pid or os.getpid(), "token", identities))
    return path


def env(endpoint: str = ENDPOINT) -> Environment:
    return Environment(region="eu-west-1", endpoint=endpoint)


def test_with_no_local_cloud_running_the_error_names_the_fix() -> None:
    with pytest.raises(ExpresswayError) as error:
        session.client(env(), "sts")
    assert error.value.message == f"local cloud: no local cloud runs at {ENDPOINT}"
    assert error.value.hint is not None
    assert "nox -s dev" in error.value.hint


def test_the_state_file_and_its_folder_are_private_to_their_owner(state_dir: Path) -> None:
    path = publish(KEYS)
    assert path.stat().st_mode & 0o777 == 0o600
    assert state_dir.stat().st_mode & 0o777 == 0o700


def test_a_state_file_others_may_read_is_refused() -> None:
    path = publish(KEYS)
    path.chmod(0o644)
    with pytest.raises(ExpresswayError) as error:
        local_state.read(ENDPOINT)
    assert "is not private to you" in error.value.message


def test_a_session_that_ended_is_no_local_cloud() -> None:
    ended = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                               capture_output=True, text=True, check=True).stdout)  # fmt: skip
    publish(KEYS, pid=ended)
    with pytest.raises(ExpresswayError) as error:
        local_state.read(ENDPOINT)
    assert f"(its last session, pid {ended}, has ended)" in error.value.message


def test_expressway_calls_as_the_deployer_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    publish(KEYS)
    assert session.local_keys(env()) == ("AKIADEPLOYER", "p")
    monkeypatch.setenv(local_state.IDENTITY_VAR, "developer")
    assert session.local_keys(env()) == ("AKIADEVELOPER", "d")
    monkeypatch.setenv(local_state.IDENTITY_VAR, "nobody")
    with pytest.raises(ExpresswayError) as error:
        session.local_keys(env())
    assert "known: deployer, developer" in str(error.value.hint)


def test_a_local_cloud_without_a_deployer_lends_its_developer_key() -> None:
    publish({"developer": KEYS["developer"]})
    client = session.client(env(), "sts")
    assert client.meta.endpoint_url == ENDPOINT
    assert client._request_signer._credentials.access_key == "AKIADEVELOPER"


def test_the_endpoint_moves_without_editing_services_toml(monkeypatch: pytest.MonkeyPatch) -> None:
    moved = "http://127.0.0.1:4700"
    monkeypatch.setenv(local_state.ENDPOINT_VAR, moved)
    publish(KEYS, endpoint=moved)
    assert session.endpoint_url(env()) == moved
    assert session.client(env(), "ecs").meta.endpoint_url == moved
    assert session.endpoint_url(Environment(region="eu-west-1")) is None  # AWS itself stays AWS


def test_two_local_clouds_keep_separate_state_files() -> None:
    assert local_state.state_path("http://127.0.0.1:4566") != local_state.state_path("http://127.0.0.1:4567")
