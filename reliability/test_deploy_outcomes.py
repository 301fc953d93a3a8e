"""What a deploy takes for its own and what it does after a failure, on the Express Mode emulation:
a redeploy after ECS rolled a deployment back, the first create of an empty VPC failing in a parallel
`deploy --all`, and another project's service of the same name in a shared cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from expressway.deploy.fleet import Operator
from expressway.registry import Registry, load
from localcloud.emulation import faults
from localcloud.emulation.testing import create_boundaries
from reliability.deploying import deployer, emulated_aws
from reliability.figures import Figures

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def registry() -> Registry:
    return load(ROOT / "services.toml")


@pytest.fixture
def aws() -> Iterator[None]:
    with emulated_aws():
        yield


def _with(registry: Registry, **changes: Any) -> Registry:
    """The registry with some services' settings changed (service key -> model fields)."""
    services = {k: s.model_copy(update=changes.get(k, {})) for k, s in registry.services.items()}
    return registry.model_copy(update={"services": services})


def _with_environment(registry: Registry, **fields: Any) -> Registry:
    prod = registry.environments["prod"].model_copy(update=fields)
    return registry.model_copy(update={"environments": {**registry.environments, "prod": prod}})


@pytest.mark.usefixtures("aws")
def test_a_redeploy_after_ecs_rolled_a_deployment_back_succeeds(registry: Registry, figures: Figures) -> None:
    assert deployer(registry).deploy("sensors").action == "create"
    bigger = _with(registry, sensors={"cpu": 2048, "memory": 4096})
    faults.fail_next_deployment("homestack-prod-sensors", reason="tasks failed health checks")
    figures.count("faults injected")
    failed = Operator(deployer(bigger)).deploy("sensors")
    assert failed.status == "failed"
    assert "ROLLBACK_SUCCESSFUL" in failed.detail
    # what runs is the revision ECS went back to: deploying it again is up to date, every time
    for _ in range(2):
        again = Operator(deployer(registry)).deploy("sensors")
        assert again.status == "no-change", again.detail
    # and the configuration that rolled back, deployed again, is deployed anew
    retried = Operator(deployer(bigger)).deploy("sensors")
    assert retried.status == "deployed", retried.detail


@pytest.mark.usefixtures("aws")
def test_a_failing_first_create_of_an_empty_vpc_stops_the_rest_of_its_wave(
    registry: Registry, figures: Figures
) -> None:
    # sensors cannot be created (a secret that does not exist), and with dashboard given the sensors
    # URL outright all three services are one wave of a parallel deploy into an empty VPC
    broken = _with(
        registry,
        sensors={"secrets": {**registry.services["sensors"].secrets, "MISSING": "ssm:/nope/missing"}},
        dashboard={"env": {**registry.services["dashboard"].env, "SENSORS_URL": "http://sensors.example"}},
    )
    said: list[str] = []
    results = Operator(deployer(broken, said)).deploy_many(list(broken.services), parallel=4)
    figures.count("faults injected")
    assert {r.service: r.status for r in results} == {
        "sensors": "failed",
        "ingest": "skipped",
        "dashboard": "skipped",
    }
    assert not any(": creating " in line for line in said)
    assert boto3.client("ecs").list_services(cluster="homestack-prod")["serviceArns"] == []
    assert boto3.client("elbv2").describe_load_balancers()["LoadBalancers"] == []


@pytest.mark.usefixtures("aws")
def test_another_projects_service_in_a_shared_cluster_is_never_taken_for_ours(registry: Registry) -> None:
    shared = _with_environment(registry, cluster="shared")
    garden = shared.model_copy(update={"project": shared.project.model_copy(update={"name": "garden"})})
    create_boundaries(garden)  # the other project's administrator did their part
    deployer(garden).deploy("sensors")
    arn = "arn:aws:ecs:eu-west-1:123456789012:service/shared/garden-prod-sensors"
    ecs = boto3.client("ecs")
    before = ecs.describe_express_gateway_service(serviceArn=arn)["service"]["activeConfigurations"]

    steps = deployer(shared).plan(["sensors"]).steps
    assert [(s.action, s.name) for s in steps] == [("create", "homestack-prod-sensors")]
    assert deployer(shared).deploy("sensors").action == "create"
    assert ecs.describe_express_gateway_service(serviceArn=arn)["service"]["activeConfigurations"] == before
