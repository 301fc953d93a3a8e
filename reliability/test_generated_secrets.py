"""The sensors service signs pagination cursors with CURSOR_KEY, and with several tasks every task must
hold the same key. The repository's own services.toml must give it one, created by expressway with a
random value on the first deploy, reaching every task as an ECS secret, and never shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from expressway.deploy.fleet import Operator
from expressway.registry import Registry, resolve
from reliability.deploying import deployer

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.usefixtures("aws")
def test_every_sensors_task_gets_one_shared_cursor_key_that_expressway_creates(registry: Registry) -> None:
    for env in registry.environments:
        sensors = resolve(registry, "sensors", env)
        assert "CURSOR_KEY" in sensors.secrets, env  # a secret, never plain env
        assert "CURSOR_KEY" in sensors.generated, env
        assert sensors.scaling.max > 1 or env == "local"  # why it must be shared
    said: list[str] = []
    assert Operator(deployer(registry, said)).deploy("sensors").ok
    name = resolve(registry, "sensors", "prod").secrets["CURSOR_KEY"].removeprefix("ssm:")
    value = boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    assert len(value) >= 32
    ecs = boto3.client("ecs")
    arn = ecs.list_services(cluster="homestack-prod")["serviceArns"][0]
    service: Any = ecs.describe_express_gateway_service(serviceArn=arn)["service"]
    secrets = {
        s["name"]: s["valueFrom"] for s in service["activeConfigurations"][-1]["primaryContainer"]["secrets"]
    }
    assert secrets["CURSOR_KEY"].endswith(f":parameter{name}")
    policy = boto3.client("iam").get_role_policy(
        RoleName="homestack-prod-sensors-execution", PolicyName="expressway"
    )
    assert secrets["CURSOR_KEY"] in str(policy["PolicyDocument"])
    assert not any(value in line for line in said)
