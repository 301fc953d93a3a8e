"""One emulated AWS for every emulation test, in process (mock_aws) and behind a moto server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from localcloud.emulation import install
from localcloud.emulation.testing import EmulatedAws

install()


@pytest.fixture(autouse=True)
def _no_default_amis(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto builds ~2,600 AMIs per region for EC2 unless told not to; no test here needs them."""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


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
