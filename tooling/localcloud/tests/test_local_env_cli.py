"""`expressway local-env`: the shell lines that make the AWS CLI work against the running local cloud,
and exit 1 naming the fix when none runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from expressway.aws import local_state
from expressway.testing import free_port, registry_text

CLI = "import sys; from expressway.cli import main; sys.exit(main())"


def expressway(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    path = tmp_path / "services.toml"
    path.write_text(registry_text({"environments": {"local": {"endpoint": "http://127.0.0.1:4599"}}}))
    return path


@pytest.fixture
def running(tmp_path: Path) -> Iterator[str]:
    """The local cloud's server on a free port (its state file in this run's state folder)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud.server", "--port", str(port)],
        stderr=subprocess.PIPE, text=True,
        env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "false", "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"},
    )  # fmt: skip
    assert process.stderr is not None
    assert "listening on" in process.stderr.readline()
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)
    process.stderr.close()


def test_with_no_local_cloud_running_it_exits_1_naming_the_fix(registry: Path) -> None:
    done = expressway("--registry", str(registry), "local-env")
    assert done.returncode == 1
    assert "error: local-env: no local cloud runs at http://127.0.0.1:4599" in done.stderr
    assert "hint: start it with `nox -s dev`" in done.stderr
    assert done.stdout == ""


def test_a_state_file_left_by_a_session_that_ended_is_no_local_cloud(registry: Path) -> None:
    path = local_state.state_path("http://127.0.0.1:4599")
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    state = local_state.LocalState("http://127.0.0.1:4599", int(ended.stdout), "t", {})
    local_state.write(path, state)
    try:
        done = expressway("--registry", str(registry), "local-env")
    finally:
        path.unlink()
    assert done.returncode == 1
    assert "has ended" in done.stderr


def test_its_lines_make_the_aws_cli_work_against_the_running_local_cloud(
    registry: Path, running: str
) -> None:
    moved = {"EXPRESSWAY_LOCAL_ENDPOINT": running}  # the port moved without editing services.toml
    done = expressway("--registry", str(registry), "local-env", env=moved)
    assert done.returncode == 0, done.stderr
    names = re.findall(r"^export (AWS_\w+)=", done.stdout, re.M)
    assert names == [
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ]
    assert f"export AWS_ENDPOINT_URL={running}" in done.stdout
    local_env = f"{sys.executable} -c {CLI!r} --registry {registry} local-env"
    script = f'eval "$({local_env})"; {sys.executable} -m awscli sts get-caller-identity --output json'
    cli = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, check=False,
                         env={**os.environ, **moved})  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["Arn"] == "arn:aws:iam::123456789012:user/developer"
