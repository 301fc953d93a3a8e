"""`expressway dev` refuses clearly, without a traceback, what a user can get wrong before it starts."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from expressway.cli import main
from expressway.console import Console
from expressway.testing import free_port, registry_text


def run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Console(out, err))
    return code, err.getvalue()


@pytest.fixture
def listening() -> Iterator[int]:
    """A loopback port something already listens on."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        yield int(busy.getsockname()[1])


def registry(tmp_path: Path, endpoint: str) -> str:
    path = tmp_path / "services.toml"
    path.write_text(registry_text({"environments": {"local": {"endpoint": endpoint}}}))
    return str(path)


def test_a_busy_router_port_is_a_clear_error_with_a_hint(tmp_path: Path, listening: int) -> None:
    path = registry(tmp_path, f"http://127.0.0.1:{free_port()}")

    code, err = run(["--registry", path, "dev", "--port", str(listening)])

    assert code == 1
    assert f"error: dev: cannot start the router: port {listening} is in use" in err
    assert "hint: " in err
    assert "--port" in err
    assert "Traceback" not in err


def test_a_busy_emulator_port_names_the_setting_to_change(tmp_path: Path, listening: int) -> None:
    path = registry(tmp_path, f"http://127.0.0.1:{listening}")

    code, err = run(["--registry", path, "dev", "--port", str(free_port())])

    assert code == 1
    assert f"cannot start the emulated AWS endpoint: port {listening} is in use" in err
    assert "endpoint" in err.split("hint:", 1)[1]


@pytest.mark.parametrize(
    ("endpoint", "why"),
    [
        ("http://10.1.2.3:4566", "is not http://<loopback>:<port>"),
        ("https://127.0.0.1:4566", "is not http://<loopback>:<port>"),
    ],
)
def test_the_endpoint_must_be_plain_http_on_loopback(tmp_path: Path, endpoint: str, why: str) -> None:
    code, err = run(["--registry", registry(tmp_path, endpoint), "dev"])

    assert code == 1
    assert why in err


def test_an_environment_without_endpoint_cannot_run_locally(tmp_path: Path) -> None:
    path = tmp_path / "services.toml"
    path.write_text(registry_text())

    code, err = run(["--registry", str(path), "dev", "--env", "prod"])

    assert code == 1
    assert "error: dev: environment 'prod' has no endpoint" in err
    assert "hint: add `endpoint = " in err


def test_a_port_out_of_range_is_refused(tmp_path: Path) -> None:
    code, err = run(["--registry", registry(tmp_path, "http://127.0.0.1:4566"), "dev", "--port", "70000"])

    assert code == 1
    assert "--port 70000 is not a TCP port" in err
