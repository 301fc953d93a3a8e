"""One emulated AWS for every emulation test, in process (mock_aws) and behind a moto server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from localcloud.emulation import install
from localcloud.emulation.testing import EmulatedAws

install()


@pytest.fixture(autouse=True)
def _no_default_amis(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto builds ~2,600 AMIs per region for EC2 unless told not to; no test here needs them."""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A moto server with the emulation on a free loopback port, for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(params=["in-process", "server"])
def aws(request: pytest.FixtureRequest) -> Iterator[EmulatedAws]:
    """The emulated AWS; every test that uses it runs once in each mode."""
    if request.param == "in-process":
        with mock_aws():
            yield EmulatedAws()
        return
    emulated = EmulatedAws(endpoint=request.getfixturevalue("moto_server"))
    emulated.reset()
    yield emulated
    emulated.reset()
