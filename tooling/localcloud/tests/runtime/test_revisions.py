"""Against the Express Mode emulation: the fleet read from it runs under the supervisor and answers
through the router at the endpoint the emulator handed out, and follows each new revision."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from expressway.aws.ecs import Ecs
from expressway.aws.ssm import Ssm
from expressway.registry import Environment, Registry, parse
from localcloud.emulation.testing import EmulatedAws
from localcloud.runtime.revisions import LocalAws, read_fleet
from localcloud.runtime.supervisor import Supervisor, Timing

pytestmark = pytest.mark.anyio
APPS = str(Path(__file__).parent / "apps")
SECRET_ARN = "arn:aws:ssm:eu-west-1:123456789012:parameter/hs/alpha/secret"
REGISTRY = """
[project]
name = "hs"

[environments.local]
region = "eu-west-1"
endpoint = "http://127.0.0.1:4566"

[services.alpha]
path = "services/alpha"
app = "tiny:app"
secrets = { TINY_SECRET = "ssm:/hs/alpha/secret" }

[services.beta]
path = "services/beta"
app = "tiny:app"
"""


@pytest.fixture
def fleet(aws: str, routed: Any) -> tuple[EmulatedAws, Registry, LocalAws]:
    emulated = EmulatedAws(endpoint=aws)
    emulated.configure(local_port=routed.port)  # endpoints become <name>.localhost:<router port>
    emulated.ecs.create_cluster(clusterName="hs-local")
    return emulated, parse(REGISTRY), LocalAws(aws, "eu-west-1", "123456789012", routed.port)


def container(version: str, **env: str) -> dict[str, Any]:
    variables = {"PYTHONPATH": APPS, "TINY_NAME": "alpha", "APP_VERSION": version, **env}
    return {
        "image": f"local/alpha:{version}",
        "containerPort": 8000,
        "environment": [{"name": k, "value": v} for k, v in variables.items()],
        "secrets": [{"name": "TINY_SECRET", "valueFrom": SECRET_ARN}],
    }


def read(emulated: EmulatedAws, registry: Registry, local: LocalAws) -> Any:
    env = Environment(region="eu-west-1", endpoint=local.endpoint)
    return read_fleet(Ecs(env), Ssm(env), registry, "local", local)


async def eventually(predicate: Callable[[], bool], patience: float = 30.0) -> None:
    deadline = time.monotonic() + patience
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_the_fleet_is_each_active_express_service_with_its_latest_revision(fleet: Any) -> None:
    emulated, registry, local = fleet
    emulated.client("ssm").put_parameter(Name="/hs/alpha/secret", Value="s3cret", Type="SecureString")
    created = emulated.create_service("hs-local-alpha", cluster="hs-local", primaryContainer=container("1"))

    specs, problems = read(emulated, registry, local)

    assert problems == {}
    assert list(specs) == ["alpha"]  # beta was never deployed
    alpha = specs["alpha"]
    assert alpha.app == "tiny:app"
    assert alpha.health == "/health"
    assert alpha.host == "hs-local-alpha.localhost"
    assert alpha.revision == created["activeConfigurations"][0]["serviceRevisionArn"]
    assert alpha.environment["TINY_SECRET"] == "s3cret"  # resolved from SSM, as the ECS agent does
    assert alpha.environment["APP_VERSION"] == "1"
    assert alpha.environment["AWS_ENDPOINT_URL"] == local.endpoint
    assert alpha.environment["HTTP_PROXY"] == f"http://127.0.0.1:{local.router_port}"


async def test_a_missing_secret_is_a_problem_not_a_spec(fleet: Any) -> None:
    emulated, registry, local = fleet
    emulated.create_service("hs-local-alpha", cluster="hs-local", primaryContainer=container("1"))

    specs, problems = read(emulated, registry, local)

    assert specs == {}
    assert problems == {"alpha": "secret TINY_SECRET: SSM parameter /hs/alpha/secret does not exist"}


async def test_deployed_services_answer_through_the_router_and_follow_new_revisions(
    fleet: Any, routed: Any, gateway: Any
) -> None:
    emulated, registry, local = fleet
    emulated.client("ssm").put_parameter(Name="/hs/alpha/secret", Value="s3cret", Type="SecureString")
    created = emulated.create_service("hs-local-alpha", cluster="hs-local", primaryContainer=container("1"))
    lines: list[str] = []
    supervisor = Supervisor(gateway, lines.append, timing=Timing(drain=0.5, recheck=0.5), base_env=os.environ)
    try:
        supervisor.apply(read(emulated, registry, local)[0])
        host = {"Host": f"hs-local-alpha.localhost:{routed.port}"}
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:

            async def answer() -> dict[str, Any]:
                found: dict[str, Any] = (await client.get(routed.url, headers=host)).json()
                return found

            await eventually(lambda: "alpha" in supervisor.serving())
            # Serving is the supervisor's view; the router routes once the emulated target group reports
            # the new target healthy, which can lag under load: wait for the route, not only the process.
            deadline = time.monotonic() + 30
            while (await client.get(routed.url, headers=host)).status_code != 200:
                assert time.monotonic() < deadline, "the router never routed to the started service"
                await routed.router.refresh()
                await asyncio.sleep(0.1)
            first = await answer()
            assert first["version"] == "1"
            assert first["env"]["TINY_SECRET"] == "s3cret"

            emulated.ecs.update_express_gateway_service(
                serviceArn=created["serviceArn"], primaryContainer=container("2")
            )
            supervisor.apply(read(emulated, registry, local)[0])
            seen: list[Any] = []
            while not seen or seen[-1] != "2":
                response = await client.get(routed.url, headers=host)
                ok = response.status_code == 200
                seen.append(response.json()["version"] if ok else response.status_code)
    finally:
        await supervisor.stop()

    assert set(seen) <= {"1", "2"}  # every request answered, by the old revision or the new one
