"""Deploying again after ECS rolled a deployment back: what runs is the revision it went back to, so
deploying that version again is up to date (and says which revision runs), and deploying the version
that failed again starts a new deployment of it."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from expressway.deploy.fleet import Operator
from expressway.registry import Registry
from localcloud.emulation import faults, views

from .conftest import V1, V2, MakeDeployer

ARN = "arn:aws:ecs:eu-west-1:123456789012:service/homestack-prod/homestack-prod-sensors"


def _serving_version() -> str:
    service: Any = boto3.client("ecs").describe_express_gateway_service(serviceArn=ARN)["service"]
    config = max(service["activeConfigurations"], key=lambda c: c["createdAt"])
    return str({e["name"]: e["value"] for e in config["primaryContainer"]["environment"]}["APP_VERSION"])


def _roll_back_v2(reg: Registry, deployer_for: MakeDeployer) -> None:
    """V1 runs; a deploy of V2 fails and ECS rolls back to V1."""
    assert Operator(deployer_for(reg, version=V1)).deploy("sensors").ok
    faults.fail_next_deployment("homestack-prod-sensors", reason="tasks failed health checks")
    failed = Operator(deployer_for(reg, version=V2)).deploy("sensors")
    assert failed.status == "failed"
    assert "ROLLBACK_SUCCESSFUL" in failed.detail
    assert _serving_version() == V1


def test_redeploying_the_version_that_runs_after_a_rollback_is_up_to_date_and_says_what_runs(
    aws: None, reg: Registry, deployer_for: MakeDeployer
) -> None:
    _roll_back_v2(reg, deployer_for)
    said: list[str] = []
    again = Operator(deployer_for(reg, version=V1, said=said)).deploy("sensors")
    assert again.status == "no-change", again.detail
    assert any(
        "its last deployment ended ROLLBACK_SUCCESSFUL: tasks failed health checks; the revision it went "
        "back to is the one this deploy asks for" in line
        for line in said
    ), said
    [up] = [line for line in said if "up to date" in line]
    assert up.startswith(f"sensors: up to date: {V1[:12]} runs (revision ")
    # and it keeps being so: the rolled-back deployment is history, not a failure of every redeploy
    assert Operator(deployer_for(reg, version=V1)).deploy("sensors").status == "no-change"


def test_redeploying_the_version_that_rolled_back_starts_a_new_deployment_of_it(
    aws: None, reg: Registry, deployer_for: MakeDeployer
) -> None:
    _roll_back_v2(reg, deployer_for)
    said: list[str] = []
    again = Operator(deployer_for(reg, version=V2, said=said)).deploy("sensors")
    assert again.status == "deployed", again.detail
    assert any("updating homestack-prod-sensors" in line for line in said)
    assert _serving_version() == V2


def test_when_the_newest_configuration_is_the_one_that_rolled_back_it_is_deployed_again(
    aws: None, reg: Registry, deployer_for: MakeDeployer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _roll_back_v2(reg, deployer_for)

    # AWS might list the revision a rolled-back deployment targeted as the service's newest
    # configuration, though the one before serves: the emulation, made to answer so
    as_modelled = views.active_revisions

    def failed_target_listed(svc: Any) -> list[Any]:
        latest = svc.deployments[-1]
        if latest.status == "ROLLBACK_SUCCESSFUL":
            return [svc.serving, latest.target]
        return as_modelled(svc)

    monkeypatch.setattr(views, "active_revisions", failed_target_listed)
    said: list[str] = []
    again = Operator(deployer_for(reg, version=V2, said=said)).deploy("sensors")
    assert again.status == "deployed", again.detail
    assert any(
        "its last deployment, of this configuration, ended ROLLBACK_SUCCESSFUL: tasks failed health "
        "checks; deploying it again" in line
        for line in said
    ), said
    assert any("updating homestack-prod-sensors" in line for line in said)
    assert _serving_version() == V2
