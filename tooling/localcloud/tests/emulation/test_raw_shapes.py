"""The emulator's own results, before moto serializes them, hold only keys of the output shapes:
moto drops unknown keys silently, so a misspelt field would otherwise vanish unnoticed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws
from moto.ecs.models import ecs_backends

from localcloud.emulation.testing import EmulatedAws, check_shape


@pytest.fixture
def backend() -> Iterator[tuple[EmulatedAws, Any]]:
    with mock_aws():
        yield EmulatedAws(), ecs_backends["123456789012"]["eu-west-1"]


def test_every_raw_result_fits_its_output_shape(backend: tuple[EmulatedAws, Any]) -> None:
    aws, ecs = backend
    infra, execution = aws.roles()
    created = ecs.create_express_gateway_service(
        serviceName="sensors",
        infrastructureRoleArn=infra,
        executionRoleArn=execution,
        primaryContainer={
            "image": "public.ecr.aws/example/sensors:1",
            "containerPort": 8000,
            "environment": [{"name": "LOG_LEVEL", "value": "info"}],
            "secrets": [{"name": "KEY", "valueFrom": "/homestack/key"}],
            "command": ["serve"],
        },
        tags=[{"key": "team", "value": "home"}],
    )
    check_shape("CreateExpressGatewayService", created)
    arn = created["service"]["serviceArn"]
    check_shape(
        "DescribeExpressGatewayService",
        ecs.describe_express_gateway_service(serviceArn=arn, include=["TAGS"]),
    )
    updated = ecs.update_express_gateway_service(serviceArn=arn, cpu="512", memory="1024")
    check_shape("UpdateExpressGatewayService", updated)
    listed = ecs.list_service_deployments(service=arn, maxResults=1)
    check_shape("ListServiceDeployments", listed)
    deployments = [
        d["serviceDeploymentArn"] for d in ecs.list_service_deployments(service=arn)["serviceDeployments"]
    ]
    for _ in range(2):  # in progress, then finished
        check_shape(
            "DescribeServiceDeployments", ecs.describe_service_deployments(serviceDeploymentArns=deployments)
        )
    revision = updated["service"]["targetConfiguration"]["serviceRevisionArn"]
    check_shape("DescribeServiceRevisions", ecs.describe_service_revisions(serviceRevisionArns=[revision]))
    check_shape("DeleteExpressGatewayService", ecs.delete_express_gateway_service(serviceArn=arn))


def test_a_rolled_back_deployment_fits_its_output_shape(backend: tuple[EmulatedAws, Any]) -> None:
    aws, ecs = backend
    arn = aws.create_service("sensors")["serviceArn"]
    aws.fault("fail_next_deployment")
    ecs.update_express_gateway_service(serviceArn=arn, cpu="512", memory="1024")
    latest = ecs.describe_express_gateway_service(serviceArn=arn)["service"]["currentDeployment"]
    for _ in range(3):  # missing from the first read, in progress, then rolled back
        described = ecs.describe_service_deployments(serviceDeploymentArns=[latest])
        check_shape("DescribeServiceDeployments", described)
    assert described["serviceDeployments"][0]["status"] == "ROLLBACK_SUCCESSFUL"
