"""Service deployments and revisions: listing, filters, paging, failures, bring-your-own task definitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from localcloud.emulation.testing import EmulatedAws, check_shape


def _update(aws: EmulatedAws, arn: str, tag: str) -> str:
    response = aws.ecs.update_express_gateway_service(
        serviceArn=arn,
        primaryContainer={"image": f"public.ecr.aws/example/sensors:{tag}", "containerPort": 8000},
    )
    return response["service"]["targetConfiguration"]["serviceRevisionArn"]


def test_deployments_are_listed_newest_first_with_filters_and_pages(aws: EmulatedAws) -> None:
    arn = aws.create_service("sensors")["serviceArn"]
    middle = datetime.now(UTC)
    revisions = [_update(aws, arn, tag) for tag in ("2", "3")]
    aws.ecs.list_service_deployments(service=arn)  # the first list after an update lags behind
    everything = aws.ecs.list_service_deployments(service=arn)["serviceDeployments"]
    assert [d["targetServiceRevisionArn"] for d in everything[:2]] == revisions[::-1]
    assert len(everything) == 3
    # each update finished the deployment before it; the newest has not been read yet: PENDING
    assert [d["status"] for d in everything] == ["PENDING", "SUCCESSFUL", "SUCCESSFUL"]
    recent = aws.ecs.list_service_deployments(service=arn, createdAt={"after": middle})["serviceDeployments"]
    assert len(recent) == 2
    running = aws.ecs.list_service_deployments(service=arn, status=["PENDING"])["serviceDeployments"]
    assert [d["targetServiceRevisionArn"] for d in running] == [revisions[1]]
    first = aws.ecs.list_service_deployments(service=arn, maxResults=2)
    check_shape("ListServiceDeployments", first)
    second = aws.ecs.list_service_deployments(service=arn, maxResults=2, nextToken=first["nextToken"])
    assert len(first["serviceDeployments"]) == 2
    assert len(second["serviceDeployments"]) == 1
    assert "nextToken" not in second
    future = datetime.now(UTC) + timedelta(hours=1)
    assert (
        aws.ecs.list_service_deployments(service=arn, createdAt={"after": future})["serviceDeployments"] == []
    )


def test_unknown_deployments_and_revisions_are_reported_as_missing_failures(aws: EmulatedAws) -> None:
    arn = aws.create_service("sensors")["serviceArn"]
    missing = "arn:aws:ecs:eu-west-1:123456789012:service-deployment/default/sensors/nope"
    described = aws.ecs.describe_service_deployments(serviceDeploymentArns=[missing])
    check_shape("DescribeServiceDeployments", described)
    assert described["failures"] == [{"arn": missing, "reason": "MISSING"}]
    revision = missing.replace("service-deployment", "service-revision")
    revisions = aws.ecs.describe_service_revisions(serviceRevisionArns=[revision])
    assert revisions["failures"] == [{"arn": revision, "reason": "MISSING"}]
    with pytest.raises(ClientError) as error:
        aws.ecs.list_service_deployments(service="nope")
    assert error.value.response["Error"]["Code"] == "ServiceNotFoundException"
    aws.ecs.list_service_deployments(service=arn)
    assert aws.ecs.list_service_deployments(service=arn)["serviceDeployments"]


def test_revisions_of_an_inactive_service_cannot_be_described(aws: EmulatedAws) -> None:
    created = aws.create_service("sensors")
    arn = created["serviceArn"]
    revision = created["activeConfigurations"][0]["serviceRevisionArn"]
    aws.ecs.delete_express_gateway_service(serviceArn=arn)
    draining = aws.ecs.describe_service_revisions(serviceRevisionArns=[revision])["serviceRevisions"][0]
    assert draining["ecsManagedResources"]["ingressPaths"][0]["loadBalancer"]["status"] == "DEPROVISIONING"
    for _ in range(2):
        aws.ecs.describe_express_gateway_service(serviceArn=arn)
    with pytest.raises(ClientError) as error:
        aws.ecs.describe_service_revisions(serviceRevisionArns=[revision])
    assert "INACTIVE" in error.value.response["Error"]["Message"]


def test_a_successful_deployment_moves_traffic_to_the_other_target_group(aws: EmulatedAws) -> None:
    created = aws.create_service("sensors")
    arn = created["serviceArn"]
    rule_arn = aws.ecs.describe_service_revisions(
        serviceRevisionArns=[created["activeConfigurations"][0]["serviceRevisionArn"]]
    )["serviceRevisions"][0]["ecsManagedResources"]["ingressPaths"][0]["rule"]["arn"]

    def serving() -> str:
        [rule] = aws.elbv2.describe_rules(RuleArns=[rule_arn])["Rules"]
        groups = rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
        return next(g["TargetGroupArn"] for g in groups if g["Weight"] == 100)

    before = serving()
    revision = _update(aws, arn, "2")
    assert serving() == before  # still the old group while the deployment runs
    assert aws.settle(arn) == "SUCCESSFUL"
    after = serving()
    assert after != before
    [service] = aws.ecs.describe_services(cluster="default", services=[arn])["services"]
    assert service["loadBalancers"][0]["targetGroupArn"] == after
    [described] = aws.ecs.describe_service_revisions(serviceRevisionArns=[revision])["serviceRevisions"]
    assert described["resolvedConfiguration"]["loadBalancers"][0]["targetGroupArn"] == after


def test_a_service_can_bring_its_own_task_definition_with_a_main_container(aws: EmulatedAws) -> None:
    infra, execution = aws.roles()
    own = aws.ecs.register_task_definition(
        family="custom",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="512",
        memory="1024",
        executionRoleArn=execution,
        containerDefinitions=[
            {
                "name": "Main",
                "image": "public.ecr.aws/example/custom:1",
                "portMappings": [{"containerPort": 9000, "name": "http"}],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    created = aws.ecs.create_express_gateway_service(
        serviceName="custom", infrastructureRoleArn=infra, taskDefinitionArn=own
    )["service"]
    [config] = created["activeConfigurations"]
    assert config["taskDefinitionArn"] == own
    assert (config["cpu"], config["memory"], config["primaryContainer"]["containerPort"]) == (
        "512",
        "1024",
        9000,
    )
    wrong = aws.ecs.register_task_definition(
        family="wrong",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "x", "portMappings": [{"containerPort": 80}]}],
    )["taskDefinition"]["taskDefinitionArn"]
    with pytest.raises(ClientError) as error:
        aws.ecs.create_express_gateway_service(
            serviceName="wrong", infrastructureRoleArn=infra, taskDefinitionArn=wrong
        )
    assert "named 'Main'" in error.value.response["Error"]["Message"]


def test_an_omitted_name_is_generated_from_the_image(aws: EmulatedAws) -> None:
    infra, execution = aws.roles()
    created = aws.ecs.create_express_gateway_service(
        infrastructureRoleArn=infra,
        executionRoleArn=execution,
        primaryContainer={"image": "public.ecr.aws/nginx/nginx:1.27"},
    )["service"]
    assert created["serviceName"].startswith("nginx-")
    assert len(created["serviceName"]) == len("nginx-") + 4


def test_an_update_cannot_move_a_service_to_another_vpc(aws: EmulatedAws) -> None:
    arn = aws.create_service("sensors")["serviceArn"]
    vpc = aws.ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = aws.ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as error:
        aws.ecs.update_express_gateway_service(serviceArn=arn, networkConfiguration={"subnets": [subnet]})
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "cannot move to another load balancer" in error.value.response["Error"]["Message"]
