"""The four Express operations: response shapes, defaults, lifecycle and errors, in both modes."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

from localcloud.emulation.testing import EmulatedAws, check_shape

ENDPOINT = re.compile(r"^[a-z0-9-]{2}-[0-9a-f]{32}\.ecs\.eu-west-1\.on\.aws$")


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_create_applies_the_documented_defaults_and_returns_a_valid_shape(aws: EmulatedAws) -> None:
    infra, execution = aws.roles()
    response = aws.ecs.create_express_gateway_service(
        serviceName="sensors",
        infrastructureRoleArn=infra,
        executionRoleArn=execution,
        primaryContainer={"image": "public.ecr.aws/example/sensors:1"},
    )
    check_shape("CreateExpressGatewayService", response)
    service = response["service"]
    assert service["serviceArn"] == "arn:aws:ecs:eu-west-1:123456789012:service/default/sensors"
    assert service["status"]["statusCode"] == "ACTIVE"
    [config] = service["activeConfigurations"]
    assert (config["cpu"], config["memory"], config["cpuArchitecture"]) == ("256", "512", "X86_64")
    assert config["healthCheckPath"] == "/ping"
    assert config["primaryContainer"]["containerPort"] == 80
    assert config["primaryContainer"]["awsLogsConfiguration"]["logStreamPrefix"] == "ecs"
    assert config["scalingTarget"] == {
        "minTaskCount": 1,
        "maxTaskCount": 20,
        "autoScalingMetric": "AVERAGE_CPU",
        "autoScalingTargetValue": 60,
    }
    [path] = config["ingressPaths"]
    assert path["accessType"] == "PUBLIC"
    assert ENDPOINT.match(path["endpoint"])
    assert path["endpoint"].startswith("se-")


def test_describe_returns_tags_only_when_asked(aws: EmulatedAws) -> None:
    arn = aws.create_service("sensors", tags=[{"key": "team", "value": "home"}])["serviceArn"]
    plain = aws.ecs.describe_express_gateway_service(serviceArn=arn)
    tagged = aws.ecs.describe_express_gateway_service(serviceArn=arn, include=["TAGS"])
    check_shape("DescribeExpressGatewayService", plain)
    check_shape("DescribeExpressGatewayService", tagged)
    assert "tags" not in plain["service"]
    assert tagged["service"]["tags"] == [{"key": "team", "value": "home"}]
    assert tagged["service"]["currentDeployment"].startswith(
        "arn:aws:ecs:eu-west-1:123456789012:service-deployment/default/sensors/"
    )


def test_the_default_cluster_is_created_and_the_ecs_service_is_managed_and_stable(
    aws: EmulatedAws,
) -> None:
    arn = aws.create_service("sensors", scalingTarget={"minTaskCount": 2, "maxTaskCount": 4})["serviceArn"]
    [cluster] = aws.ecs.describe_clusters(clusters=["default"])["clusters"]
    assert cluster["status"] == "ACTIVE"
    [service] = aws.ecs.describe_services(cluster="default", services=[arn])["services"]
    assert service["resourceManagementType"] == "ECS"
    assert (service["desiredCount"], service["runningCount"]) == (2, 0)  # the deployment is PENDING
    assert aws.settle(arn) == "SUCCESSFUL"
    [service] = aws.ecs.describe_services(cluster="default", services=[arn])["services"]
    assert (service["desiredCount"], service["runningCount"]) == (2, 2)
    aws.ecs.get_waiter("services_stable").wait(
        cluster="default", services=[arn], WaiterConfig={"Delay": 0, "MaxAttempts": 2}
    )
    task_definition = aws.ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
    [container] = task_definition["taskDefinition"]["containerDefinitions"]
    assert container["name"] == "Main"
    assert container["portMappings"][0]["containerPort"] == 8000


def test_update_creates_a_revision_and_a_deployment_that_goes_in_progress_then_successful(
    aws: EmulatedAws,
) -> None:
    created = aws.create_service("sensors")
    arn = created["serviceArn"]
    first_revision = created["activeConfigurations"][0]["serviceRevisionArn"]
    response = aws.ecs.update_express_gateway_service(
        serviceArn=arn,
        primaryContainer={"image": "public.ecr.aws/example/sensors:2", "containerPort": 8000},
        healthCheckPath="/healthz",
    )
    check_shape("UpdateExpressGatewayService", response)
    target = response["service"]["targetConfiguration"]
    assert target["serviceRevisionArn"] != first_revision
    assert target["primaryContainer"]["image"].endswith("sensors:2")
    assert target["taskDefinitionArn"].endswith("task-definition/default-sensors:2")

    # reads are eventually consistent: the first list does not show the new deployment yet
    stale = aws.ecs.list_service_deployments(cluster="default", service=arn)["serviceDeployments"]
    assert target["serviceRevisionArn"] not in [d["targetServiceRevisionArn"] for d in stale]
    listed = aws.ecs.list_service_deployments(cluster="default", service=arn)
    check_shape("ListServiceDeployments", listed)
    newest = listed["serviceDeployments"][0]
    assert newest["targetServiceRevisionArn"] == target["serviceRevisionArn"]
    assert newest["status"] == "PENDING"
    statuses = []
    for _ in range(4):
        described = aws.ecs.describe_service_deployments(
            serviceDeploymentArns=[newest["serviceDeploymentArn"]]
        )
        check_shape("DescribeServiceDeployments", described)
        statuses.append(next((d["status"] for d in described["serviceDeployments"]), "MISSING"))
    assert statuses == ["MISSING", "PENDING", "IN_PROGRESS", "SUCCESSFUL"]
    [active] = aws.ecs.describe_express_gateway_service(serviceArn=arn)["service"]["activeConfigurations"]
    assert active["serviceRevisionArn"] == target["serviceRevisionArn"]
    group = aws.elbv2.describe_target_groups(
        TargetGroupArns=[
            aws.ecs.describe_services(cluster="default", services=[arn])["services"][0]["loadBalancers"][0][
                "targetGroupArn"
            ]
        ]
    )["TargetGroups"][0]
    assert group["HealthCheckPath"] == "/healthz"


def test_during_a_deployment_describe_shows_old_and_new_configurations(aws: EmulatedAws) -> None:
    arn = aws.create_service("sensors")["serviceArn"]
    aws.ecs.update_express_gateway_service(serviceArn=arn, cpu="512", memory="1024")
    described = [aws.ecs.describe_express_gateway_service(serviceArn=arn)["service"] for _ in range(3)]
    seen = [[c["cpu"] for c in service["activeConfigurations"]] for service in described]
    assert seen == [["256", "512"], ["256", "512"], ["512"]]  # PENDING, IN_PROGRESS, SUCCESSFUL


def test_service_revisions_expose_the_ingress_path_of_real_elbv2_objects(aws: EmulatedAws) -> None:
    created = aws.create_service("sensors")
    revision = created["activeConfigurations"][0]["serviceRevisionArn"]
    response = aws.ecs.describe_service_revisions(serviceRevisionArns=[revision])
    check_shape("DescribeServiceRevisions", response)
    [path] = response["serviceRevisions"][0]["ecsManagedResources"]["ingressPaths"]
    assert path["endpoint"] == created["activeConfigurations"][0]["ingressPaths"][0]["endpoint"]
    [balancer] = aws.elbv2.describe_load_balancers(LoadBalancerArns=[path["loadBalancer"]["arn"]])[
        "LoadBalancers"
    ]
    assert balancer["Scheme"] == "internet-facing"
    [listener] = aws.elbv2.describe_listeners(ListenerArns=[path["listener"]["arn"]])["Listeners"]
    assert (listener["Protocol"], listener["Port"]) == ("HTTPS", 443)
    [rule] = aws.elbv2.describe_rules(RuleArns=[path["rule"]["arn"]])["Rules"]
    assert rule["Conditions"][0]["HostHeaderConfig"]["Values"] == [path["endpoint"]]
    forwarded = {
        g["TargetGroupArn"]: g["Weight"] for g in rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
    }
    assert set(forwarded) == {group["arn"] for group in path["targetGroups"]}
    assert sorted(forwarded.values()) == [0, 100]
    assert path["certificate"]["domainName"] == "*." + path["endpoint"].split(".", 1)[1]


def test_delete_drains_then_goes_inactive_and_the_name_stays_reserved_until_then(
    aws: EmulatedAws,
) -> None:
    arn = aws.create_service("sensors")["serviceArn"]
    deleted = aws.ecs.delete_express_gateway_service(serviceArn=arn)
    check_shape("DeleteExpressGatewayService", deleted)
    assert deleted["service"]["status"]["statusCode"] == "DRAINING"
    with pytest.raises(ClientError) as reserved:
        aws.create_service("sensors")
    assert _code(reserved) == "InvalidParameterException"
    with pytest.raises(ClientError) as not_active:
        aws.ecs.update_express_gateway_service(serviceArn=arn, cpu="512", memory="1024")
    assert _code(not_active) == "ServiceNotActiveException"
    statuses = [
        aws.ecs.describe_express_gateway_service(serviceArn=arn)["service"]["status"]["statusCode"]
        for _ in range(2)
    ]
    assert statuses == ["DRAINING", "INACTIVE"]
    assert aws.create_service("sensors")["status"]["statusCode"] == "ACTIVE"


def test_an_unknown_service_arn_is_service_not_found_for_update_and_delete(
    aws: EmulatedAws,
) -> None:
    aws.create_service("sensors")
    arn = "arn:aws:ecs:eu-west-1:123456789012:service/default/nope"
    with pytest.raises(ClientError) as updating:
        aws.ecs.update_express_gateway_service(serviceArn=arn, cpu="512", memory="1024")
    with pytest.raises(ClientError) as deleting:
        aws.ecs.delete_express_gateway_service(serviceArn=arn)
    assert _code(updating) == _code(deleting) == "ServiceNotFoundException"


def test_an_unknown_service_arn_is_resource_not_found_for_describe(aws: EmulatedAws) -> None:
    aws.create_service("sensors")
    with pytest.raises(ClientError) as error:
        aws.ecs.describe_express_gateway_service(
            serviceArn="arn:aws:ecs:eu-west-1:123456789012:service/default/nope"
        )
    assert _code(error) == "ResourceNotFoundException"


def test_a_missing_non_default_cluster_is_cluster_not_found(aws: EmulatedAws) -> None:
    with pytest.raises(ClientError) as error:
        aws.create_service("sensors", cluster="homestack-prod")
    assert _code(error) == "ClusterNotFoundException"
    aws.ecs.create_cluster(clusterName="homestack-prod")
    created = aws.create_service("sensors", cluster="homestack-prod")
    assert created["serviceArn"].endswith(":service/homestack-prod/sensors")
    assert aws.ecs.list_service_deployments(service=created["serviceArn"])["serviceDeployments"] == []
    by_arn = aws.ecs.list_service_deployments(service=created["serviceArn"])["serviceDeployments"]
    by_name = aws.ecs.list_service_deployments(cluster="homestack-prod", service="sensors")[
        "serviceDeployments"
    ]
    assert by_arn == by_name != []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"cpu": "256", "memory": "4096"},
            "No Fargate configuration exists for given values: 256 CPU, 4096 memory",
        ),
        ({"healthCheckPath": "health"}, "must start with '/'"),
        ({"tags": [{"key": "aws:owner", "value": "x"}]}, "reserved prefix 'aws:'"),
        ({"tags": [{"key": f"k{i}", "value": "v"} for i in range(51)]}, "limit is 50"),
        ({"serviceName": "bad name!"}, "Invalid service name"),
        ({"infrastructureRoleArn": "arn:aws:iam::123456789012:role/missing"}, "does not exist"),
        ({"scalingTarget": {"minTaskCount": 3, "maxTaskCount": 2}}, "Invalid scalingTarget"),
    ],
)
def test_bad_parameters_are_invalid_parameter_exceptions_with_aws_like_messages(
    aws: EmulatedAws, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ClientError) as error:
        aws.create_service("sensors", **overrides)
    assert _code(error) == "InvalidParameterException"
    assert message in str(error.value.response["Error"]["Message"])
