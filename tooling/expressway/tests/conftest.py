"""Fixtures for expressway tests: registries, moto with the AWS-managed policies, the Express emulation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import boto3
import httpx
import pytest
from moto import mock_aws

from expressway.aws import session
from expressway.deploy.deployer import Deployer, Options
from expressway.deploy.waiting import Clock, HttpProber
from expressway.images.source import GivenImages
from expressway.plan.arns import INFRASTRUCTURE_MANAGED_POLICY
from expressway.registry import Registry, parse
from expressway.testing import IMAGE, VERSION, FakeService, registry_text
from localcloud.emulation.testing import create_boundaries
from localcloud.emulation.testing import lean_moto as lean


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    """A valid services.toml in a temporary folder."""
    path = tmp_path / "services.toml"
    path.write_text(registry_text())
    return path


@pytest.fixture
def lean_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Express emulation installed; moto without the AMIs and managed policies we never use."""
    lean(monkeypatch, INFRASTRUCTURE_MANAGED_POLICY)


@pytest.fixture
def aws(lean_moto: None) -> Iterator[None]:
    """moto in process with the Express Mode emulation, fresh clients, the managed policies AWS has."""
    with mock_aws():
        session.reset()
        boto3.client("ssm").put_parameter(Name="/homestack/ingest/api-key", Value="k", Type="SecureString")
        create_boundaries(parse(registry_text()))
        yield
    session.reset()


@pytest.fixture
def web() -> FakeService:
    return FakeService()


FAST = Clock(sleep=lambda _: None)


class MakeDeployer(Protocol):
    def __call__(self, reg: Registry, said: list[str] | None = None, **options: Any) -> Deployer: ...


@pytest.fixture
def make_deployer(web: FakeService) -> MakeDeployer:
    """Builds Deployers as the CLI does, with a fake health endpoint and instant polling."""

    def make(reg: Registry, said: list[str] | None = None, **options: Any) -> Deployer:
        settings = Options(poll=0.0, clock=FAST, verify_timeout=0.0, **options)
        sink = said if said is not None else []
        prober = HttpProber(httpx.MockTransport(web), poll=0.0, clock=FAST)
        return Deployer(reg, "prod", GivenImages(IMAGE), prober, VERSION, sink.append, settings)

    return make


@pytest.fixture
def reg() -> Registry:
    return parse(registry_text())
