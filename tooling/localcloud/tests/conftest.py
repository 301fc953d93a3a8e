"""What every local-cloud test shares: a moto server with the Express Mode emulation on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from localcloud.emulation import install
from localcloud.emulation.testing import publish_state

install()  # the Express Mode operations, for the moto servers and mock_aws below


@pytest.fixture(scope="session", autouse=True)
def _state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Local cloud state files of this test run go to a folder of its own."""
    folder = tmp_path_factory.mktemp("state")
    folder.chmod(0o700)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EXPRESSWAY_STATE_DIR", str(folder))
        yield


@pytest.fixture(scope="session")
def moto_server(_state_dir: None) -> Iterator[str]:
    """A moto server with the emulation on a free loopback port, for the whole session; expressway's
    gateways find it through a state file as they find the local cloud."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    publish_state(endpoint)
    yield endpoint
    server.stop()
