"""How Express deployments fail on AWS, taught to the emulation: deployments that start PENDING and
lag behind in reads, managed resources that fail to provision, tasks that fail to start (with their
stop reasons and the service's events), and the tasks and targets of a healthy deployment."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from localcloud.emulation.testing import EmulatedAws, check_shape


def _tasks(aws: EmulatedAws, name: str, desired: str = "RUNNING") -> list[dict[str, Any]]:
    arns = aws.ecs.list_tasks(cluster="default", serviceName=name, desiredStatus=desired)["taskArns"]  # type: ignore[arg-type]
    if not arns:
        return []
    described = aws.ecs.describe_tasks(cluster="default", tasks=arns)
    check_shape("DescribeTasks", described)
    return [dict(task) for task in described["tasks"]]


def _events(aws: EmulatedAws, arn: str) -> list[str]:
    [service] = aws.ecs.describe_services(cluster="default", services=[arn])["services"]
    return [event["message"] for event in service["events"]]


def _update(aws: EmulatedAws, arn: str, tag: str) -> None:
    aws.ecs.update_express_gateway_service(
        serviceArn=arn,
        primaryContainer={"image": f"public.ecr.aws/example/sensors:{tag}", "containerPort": 8000},
    )


def _resources(aws: EmulatedAws, arn: str) -> dict[str, Any]:
    service = aws.ecs.describe_express_gateway_service(serviceArn=arn)["service"]
    revision = service["activeConfigurations"][-1]["serviceRevisionArn"]
    answer = aws.ecs.describe_service_revisions(serviceRevisionArns=[revision])
    check_shape("DescribeServiceRevisions", answer)
    return dict(answer["serviceRevisions"][0]["ecsManagedResources"])


def test_a_deployment_is_pending_then_in_progress_then_successful(aws: EmulatedAws) -> None:
    arn = aws.create_service("sensors")["serviceArn"]
    deployment = aws.current_deployment(arn)  # this describe reads it PENDING
    statuses = [
        next((d["status"] for d in answer["serviceDeployments"]), "MISSING")
        for answer in (
            aws.ecs.describe_service_deployments(serviceDeploymentArns=[deployment]) for _ in range(4)
        )
    ]
    assert statuses == ["MISSING", "IN_PROGRESS", "SUCCESSFUL", "SUCCESSFUL"]


def test_reads_right_after_a_create_do_not_see_the_new_deployment_yet(aws: EmulatedAws) -> None:
    arn = aws.create_service("sensors")["serviceArn"]
    assert aws.ecs.list_service_deployments(service=arn)["serviceDeployments"] == []
    [listed] = aws.ecs.list_service_deployments(service=arn)["serviceDeployments"]
    assert listed["status"] == "PENDING"
    missing = aws.ecs.describe_service_deployments(serviceDeploymentArns=[listed["serviceDeploymentArn"]])
    assert missing["serviceDeployments"] == []
    assert missing["failures"] == [{"arn": listed["serviceDeploymentArn"], "reason": "MISSING"}]
    found = aws.ecs.describe_service_deployments(serviceDeploymentArns=[listed["serviceDeploymentArn"]])
    assert found["serviceDeployments"][0]["status"] == "PENDING"


def test_with_no_pending_or_lagging_reads_configured_the_old_lifecycle_returns(aws: EmulatedAws) -> None:
    aws.configure(pending_reads=0, consistency_reads=0)
    arn = aws.create_service("sensors")["serviceArn"]
    [listed] = aws.ecs.list_service_deployments(service=arn)["serviceDeployments"]
    assert listed["status"] == "IN_PROGRESS"
    assert aws.statuses(arn, 1) == ["SUCCESSFUL"]


def test_a_healthy_deployment_runs_its_minimum_tasks_as_healthy_targets(aws: EmulatedAws) -> None:
    created = aws.create_service("sensors", scalingTarget={"minTaskCount": 2, "maxTaskCount": 4})
    arn = created["serviceArn"]
    assert aws.settle(arn) == "SUCCESSFUL"
    running = _tasks(aws, "sensors")
    assert [(t["lastStatus"], t["desiredStatus"], t["group"]) for t in running] == [
        ("RUNNING", "RUNNING", "service:sensors")
    ] * 2
    assert all(t["startedBy"].startswith("ecs-svc/") for t in running)
    group = aws.ecs.describe_services(cluster="default", services=[arn])["services"][0]["loadBalancers"][0][
        "targetGroupArn"
    ]
    health = aws.elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
    assert sorted(h["Target"]["Id"] for h in health) == sorted(
        next(d["value"] for d in t["attachments"][0]["details"] if d["name"] == "privateIPv4Address")
        for t in running
    )
    assert {h["TargetHealth"]["State"] for h in health} == {"healthy"}
    assert any("has started 2 tasks" in message for message in _events(aws, arn))
    assert _events(aws, arn)[0] == "(service sensors) has reached a steady state."


def test_a_new_revision_replaces_the_old_tasks_which_stay_listed_as_stopped(aws: EmulatedAws) -> None:
    arn = aws.create_service("sensors")["serviceArn"]
    aws.settle(arn)
    [first] = _tasks(aws, "sensors")
    _update(aws, arn, "2")
    assert aws.settle(arn) == "SUCCESSFUL"
    [second] = _tasks(aws, "sensors")
    assert second["taskArn"] != first["taskArn"]
    [stopped] = _tasks(aws, "sensors", "STOPPED")
    assert stopped["taskArn"] == first["taskArn"]
    assert stopped["stoppedReason"].startswith("Scaling activity initiated by (deployment ecs-svc/")
    assert stopped["stopCode"] == "ServiceSchedulerInitiated"


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("pull", "CannotPullContainerError: pull image manifest has been retried"),
        ("architecture", "image Manifest does not contain descriptor matching platform 'linux/arm64'"),
        ("secrets", "ResourceInitializationError: unable to pull secrets or registry auth"),
    ],
)
def test_tasks_that_fail_to_start_roll_the_deployment_back_with_their_reason(
    aws: EmulatedAws, kind: str, reason: str
) -> None:
    created = aws.create_service("sensors", cpuArchitecture="ARM64")
    arn = created["serviceArn"]
    aws.settle(arn)
    aws.fault("fail_tasks", kind=kind, service="sensors")
    _update(aws, arn, "broken")
    assert aws.settle(arn) == "ROLLBACK_SUCCESSFUL"
    stopped = [t for t in _tasks(aws, "sensors", "STOPPED") if t["stopCode"] == "TaskFailedToStart"]
    assert len(stopped) == 3  # the circuit breaker's smallest threshold
    assert all(reason in t["stoppedReason"] for t in stopped)
    assert all(t["containers"][0]["lastStatus"] == "STOPPED" for t in stopped)
    [deployment] = aws.ecs.list_service_deployments(service=arn, maxResults=1)["serviceDeployments"]
    assert reason in deployment["statusReason"]
    assert any("deployment failed: tasks failed to start" in m for m in _events(aws, arn))
    [serving] = _tasks(aws, "sensors")  # the old revision's task kept running
    assert serving["taskDefinitionArn"] == created["activeConfigurations"][0]["taskDefinitionArn"]


def test_a_first_deployment_whose_tasks_fail_has_nothing_to_roll_back_to_and_stops(aws: EmulatedAws) -> None:
    aws.fault("fail_tasks", kind="pull", service="sensors")
    arn = aws.create_service("sensors")["serviceArn"]
    assert aws.settle(arn) == "STOPPED"
    [deployment] = aws.ecs.describe_service_deployments(serviceDeploymentArns=[aws.current_deployment(arn)])[
        "serviceDeployments"
    ]
    assert "CannotPullContainerError" in deployment["statusReason"]
    assert deployment["deploymentCircuitBreaker"]["status"] == "TRIGGERED"
    assert deployment["deploymentCircuitBreaker"]["failureCount"] == 3
    assert _tasks(aws, "sensors") == []


def test_a_managed_resource_that_fails_to_provision_says_why_and_the_deployment_never_ends(
    aws: EmulatedAws,
) -> None:
    aws.fault("fail_provisioning", resource="loadBalancer", reason="Subnets lack free addresses")
    arn = aws.create_service("sensors")["serviceArn"]
    balancer = _resources(aws, arn)["ingressPaths"][0]["loadBalancer"]
    assert (balancer["status"], balancer["statusReason"]) == ("FAILED", "Subnets lack free addresses")
    assert _resources(aws, arn)["ingressPaths"][0]["listener"]["status"] == "ACTIVE"
    assert aws.statuses(arn, 6)[-3:] == ["IN_PROGRESS"] * 3
    _update(aws, arn, "2")  # the next deployment stops this one and provisions again
    assert _resources(aws, arn)["ingressPaths"][0]["loadBalancer"]["status"] == "ACTIVE"
    assert aws.settle(arn) == "SUCCESSFUL"


def test_an_unknown_managed_resource_or_task_failure_is_refused(aws: EmulatedAws) -> None:
    if aws.endpoint is None:
        with pytest.raises(ValueError, match="resource"):
            aws.fault("fail_provisioning", resource="database")
        return
    url = f"{aws.endpoint}/moto-api/expressway/faults"
    assert httpx.post(url, json={"fault": "fail_provisioning", "resource": "database"}).status_code == 400
    assert httpx.post(url, json={"fault": "fail_tasks", "kind": "gremlins"}).status_code == 400


def test_describe_reorders_environment_variables_and_puts_the_managed_security_group_first(
    aws: EmulatedAws,
) -> None:
    own = aws.ec2.create_security_group(
        GroupName="own",
        Description="own",
        VpcId=aws.ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"],
    )["GroupId"]
    environment = [{"name": n, "value": "1"} for n in ("ZETA", "ALPHA", "MID")]
    container = {
        "image": "public.ecr.aws/example/sensors:1",
        "containerPort": 8000,
        "environment": environment,
    }
    arn = aws.create_service(
        "sensors",
        primaryContainer=container,
        networkConfiguration={"securityGroups": [own]},
    )["serviceArn"]
    [config] = aws.ecs.describe_express_gateway_service(serviceArn=arn)["service"]["activeConfigurations"]
    assert [item["name"] for item in config["primaryContainer"]["environment"]] == ["ALPHA", "MID", "ZETA"]
    groups = config["networkConfiguration"]["securityGroups"]
    assert groups[1:] == [own]
    assert groups[0] != own


def test_a_private_service_has_healthy_targets_to_read_though_no_one_outside_reaches_it(
    aws: EmulatedAws,
) -> None:
    vpc = aws.ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    zones = [z["ZoneName"] for z in aws.ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    private = [
        aws.ec2.create_subnet(VpcId=vpc, CidrBlock=f"172.31.{210 + i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(zones)
    ]
    # Private: their own route table, with no route to the default VPC's internet gateway.
    table = aws.ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    for subnet in private:
        aws.ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    created = aws.create_service("ingest", networkConfiguration={"subnets": private})
    [path] = created["activeConfigurations"][0]["ingressPaths"]
    assert path["accessType"] == "PRIVATE"
    assert aws.settle(created["serviceArn"]) == "SUCCESSFUL"
    [service] = aws.ecs.describe_services(cluster="default", services=[created["serviceArn"]])["services"]
    serving = service["loadBalancers"][0]["targetGroupArn"]
    health = aws.elbv2.describe_target_health(TargetGroupArn=serving)["TargetHealthDescriptions"]
    assert [h["TargetHealth"]["State"] for h in health] == ["healthy"]
    [balancer] = aws.elbv2.describe_load_balancers()["LoadBalancers"]
    assert balancer["Scheme"] == "internal"
