"""An environment with `endpoint` (the local cloud): the same deploy path, against a moto server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from moto.server import ThreadedMotoServer

from expressway.aws import session
from expressway.deploy.deployer import Deployer, Options
from expressway.deploy.fleet import Operator
from expressway.deploy.waiting import Clock, HttpProber
from expressway.images.source import GivenImages
from expressway.plan.arns import INFRASTRUCTURE_MANAGED_POLICY
from expressway.registry import parse
from expressway.testing import IMAGE, VERSION, registry_text
from localcloud.emulation.testing import EmulatedAws, create_boundaries, lean_moto, publish_state


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto server with the emulation in local mode (endpoints `<name>.localhost:8080`)."""
    lean_moto(monkeypatch, INFRASTRUCTURE_MANAGED_POLICY)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    publish_state(endpoint)
    emulated = EmulatedAws(endpoint=endpoint)
    emulated.reset()
    emulated.configure(local_port=8080)
    emulated.client("ssm").put_parameter(Name="/homestack/ingest/api-key", Value="k", Type="SecureString")
    create_boundaries(parse(registry_text()), emulated.client("iam"))
    session.reset()
    yield endpoint
    session.reset()
    moto.stop()


def test_local_environment_deploys_through_its_endpoint_to_localhost_urls(server: str) -> None:
    seen: list[httpx.Request] = []

    def service(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"version": VERSION})

    reg = parse(registry_text({"environments": {"local": {"endpoint": server}}}))
    fast = Clock(sleep=lambda _: None)
    prober = HttpProber(httpx.MockTransport(service), poll=0.0, clock=fast)
    said: list[str] = []
    deployer = Deployer(
        reg, "local", GivenImages(IMAGE), prober, VERSION, said.append, Options(poll=0.0, clock=fast)
    )
    outcomes = {r.service: r for r in Operator(deployer).deploy_many(["sensors", "dashboard"], parallel=25)}
    sensors_url = outcomes["sensors"].url
    assert sensors_url is not None
    assert sensors_url.startswith("http://")
    assert sensors_url.endswith(".localhost:8080")
    host = sensors_url.removeprefix("http://")
    assert any(r.url.host == "127.0.0.1" and r.headers["host"] == host for r in seen)
    ecs = EmulatedAws(endpoint=server).ecs
    arn = "arn:aws:ecs:eu-west-1:123456789012:service/homestack-local/homestack-local-dashboard"
    config = ecs.describe_express_gateway_service(serviceArn=arn)["service"]["activeConfigurations"][-1]
    env = {e["name"]: e["value"] for e in config["primaryContainer"]["environment"]}
    assert env["SENSORS_URL"] == sensors_url
