"""What every local-cloud test shares: a moto server with the Express Mode emulation on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from localcloud.emulation import install

install()  # the Express Mode operations, for the moto servers and mock_aws below


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A moto server with the emulation on a free loopback port, for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
