"""Fault and latency hooks, armed in process or over HTTP against the server."""

from __future__ import annotations

import time

import httpx
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from localcloud.emulation import EmulatorConfig, configure, current_config, faults
from localcloud.emulation.testing import EmulatedAws


def test_throttling_hits_the_next_n_calls_of_one_operation_only(aws: EmulatedAws) -> None:
    arn = aws.create_service("sensors")["serviceArn"]
    aws.fault("throttle", times=2, operation="DescribeExpressGatewayService")
    aws.ecs.list_service_deployments(service=arn)  # another operation is not throttled
    for _ in range(2):
        with pytest.raises(ClientError) as error:
            aws.ecs.describe_express_gateway_service(serviceArn=arn)
        assert error.value.response["Error"]["Code"] == "ThrottlingException"
    assert aws.ecs.describe_express_gateway_service(serviceArn=arn)["service"]["serviceName"] == "sensors"


def test_throttling_of_any_operation_reaches_plain_ecs_calls_too(aws: EmulatedAws) -> None:
    aws.fault("throttle", times=1)
    with pytest.raises(ClientError) as error:
        aws.ecs.list_clusters()
    assert error.value.response["Error"]["Code"] == "ThrottlingException"
    assert aws.ecs.list_clusters()["clusterArns"] == []


def test_a_failing_deployment_rolls_back_and_the_service_keeps_its_old_revision(
    aws: EmulatedAws,
) -> None:
    created = aws.create_service("sensors")
    arn = created["serviceArn"]
    old = created["activeConfigurations"][0]
    aws.fault("fail_next_deployment", service="sensors", reason="health checks failed")
    updated = aws.ecs.update_express_gateway_service(
        serviceArn=arn,
        primaryContainer={"image": "public.ecr.aws/example/sensors:broken", "containerPort": 8000},
    )
    assert aws.statuses(arn, 3) == ["MISSING", "IN_PROGRESS", "ROLLBACK_SUCCESSFUL"]
    [deployment] = aws.ecs.list_service_deployments(service=arn, maxResults=1)["serviceDeployments"]
    assert deployment["statusReason"] == "health checks failed"
    [rolled] = aws.ecs.describe_service_deployments(
        serviceDeploymentArns=[deployment["serviceDeploymentArn"]]
    )["serviceDeployments"]
    assert rolled["rollback"]["serviceRevisionArn"] == old["serviceRevisionArn"]
    assert updated["service"]["targetConfiguration"]["serviceRevisionArn"] != old["serviceRevisionArn"]
    [active] = aws.ecs.describe_express_gateway_service(serviceArn=arn)["service"]["activeConfigurations"]
    assert active["serviceRevisionArn"] == old["serviceRevisionArn"]
    [service] = aws.ecs.describe_services(cluster="default", services=[arn])["services"]
    assert service["taskDefinition"] == old["taskDefinitionArn"]


def test_iam_propagation_errors_hit_the_first_calls_with_a_new_role(aws: EmulatedAws) -> None:
    aws.roles()
    aws.fault("iam_propagation", calls=1)
    with pytest.raises(ClientError) as error:
        aws.create_service("sensors")
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "Cannot assume role" in error.value.response["Error"]["Message"]
    assert aws.create_service("sensors")["status"]["statusCode"] == "ACTIVE"


def test_iam_propagation_can_look_like_a_credentials_client_exception(aws: EmulatedAws) -> None:
    aws.fault("iam_propagation", calls=2, kind="credentials")
    for _ in range(2):
        with pytest.raises(ClientError) as error:
            aws.create_service("sensors")
        assert error.value.response["Error"]["Code"] == "ClientException"
        assert "validate the provided access credentials" in error.value.response["Error"]["Message"]
    aws.create_service("sensors")


def test_provisioning_delay_keeps_resources_provisioning_and_the_deployment_in_progress(
    aws: EmulatedAws,
) -> None:
    aws.fault("delay_provisioning", seconds=600)
    created = aws.create_service("sensors")
    revision = created["activeConfigurations"][0]["serviceRevisionArn"]
    [path] = aws.ecs.describe_service_revisions(serviceRevisionArns=[revision])["serviceRevisions"][0][
        "ecsManagedResources"
    ]["ingressPaths"]
    assert path["loadBalancer"]["status"] == "PROVISIONING"
    assert aws.statuses(created["serviceArn"], 4) == ["MISSING", "IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS"]


def test_a_provisioning_delay_ends_and_the_first_deployment_then_succeeds(aws: EmulatedAws) -> None:
    aws.fault("delay_provisioning", seconds=0.2)
    created = aws.create_service("sensors")
    time.sleep(0.2)
    revision = created["activeConfigurations"][0]["serviceRevisionArn"]
    [path] = aws.ecs.describe_service_revisions(serviceRevisionArns=[revision])["serviceRevisions"][0][
        "ecsManagedResources"
    ]["ingressPaths"]
    assert path["loadBalancer"]["status"] == "ACTIVE"
    assert aws.statuses(created["serviceArn"], 3) == ["MISSING", "IN_PROGRESS", "SUCCESSFUL"]


def test_configured_deployment_time_keeps_deployments_in_progress(aws: EmulatedAws) -> None:
    aws.configure(deployment_seconds=600, settle_reads=0)
    arn = aws.create_service("sensors")["serviceArn"]
    assert aws.statuses(arn, 4) == ["MISSING", "IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS"]


def test_with_no_reads_to_settle_a_deployment_succeeds_once_its_time_has_passed(aws: EmulatedAws) -> None:
    aws.configure(deployment_seconds=0.2, settle_reads=0)
    arn = aws.create_service("sensors")["serviceArn"]
    time.sleep(0.2)
    assert aws.statuses(arn, 3) == ["MISSING", "IN_PROGRESS", "SUCCESSFUL"]


def test_reset_restores_settings_and_disarms_faults(aws: EmulatedAws) -> None:
    aws.configure(deployment_seconds=5)
    aws.fault("throttle", times=3)
    aws.reset() if aws.endpoint else faults.clear()
    if aws.endpoint:
        config = httpx.get(f"{aws.endpoint}/moto-api/expressway/config").json()
        armed = httpx.get(f"{aws.endpoint}/moto-api/expressway/faults").json()
        assert config["deployment_seconds"] == 0
        assert armed["throttle"] == []
    else:
        assert faults.armed()["throttle"] == []
    aws.ecs.list_clusters()


def test_baseline_settings_survive_a_reset_and_others_do_not() -> None:
    try:
        configure(baseline=True, local_port=8080)
        with mock_aws():
            configure(deployment_seconds=9)
            assert current_config().deployment_seconds == 9
        assert current_config().local_port == 8080
        assert current_config().deployment_seconds == 0
    finally:
        configure(baseline=True, local_port=None)
        with mock_aws():
            pass
    assert current_config() == EmulatorConfig()


def test_bad_settings_are_refused_with_the_setting_named() -> None:
    with pytest.raises(ValueError, match="settle_reads"):
        EmulatorConfig(settle_reads=-1)
    with pytest.raises(TypeError, match="unknown setting"):
        configure(speed=3)
    with pytest.raises(ValueError, match="local_port"):
        configure(local_port=70000)
