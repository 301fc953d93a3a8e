"""The shared ALB, read back with plain boto3: one per VPC and scheme, 25 services each."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from localcloud.emulation import EmulatorConfig
from localcloud.emulation.testing import EmulatedAws

MANAGED = {"Key": "AmazonECSManaged", "Value": "true"}


def _balancers(aws: EmulatedAws) -> list[str]:
    return sorted(lb["LoadBalancerArn"] for lb in aws.elbv2.describe_load_balancers()["LoadBalancers"])


def _host_rules(aws: EmulatedAws, balancer: str) -> dict[str, str]:
    """host header -> the target group that gets all of its traffic."""
    [listener] = aws.elbv2.describe_listeners(LoadBalancerArn=balancer)["Listeners"]
    found = {}
    for rule in aws.elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
        if rule["IsDefault"]:
            assert rule["Actions"][0]["Type"] == "fixed-response"
            assert rule["Actions"][0]["FixedResponseConfig"]["StatusCode"] == "404"
            continue
        [host] = rule["Conditions"][0]["HostHeaderConfig"]["Values"]
        groups = rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
        found[host] = next(g["TargetGroupArn"] for g in groups if g["Weight"] == 100)
    return found


def _endpoint(service: dict[str, object]) -> str:
    configs = service["activeConfigurations"]
    assert isinstance(configs, list)
    return str(configs[0]["ingressPaths"][0]["endpoint"])


def test_three_services_share_one_alb_with_a_host_rule_each(aws: EmulatedAws) -> None:
    services = [aws.create_service(name) for name in ("sensors", "ingest", "dashboard")]
    [balancer] = _balancers(aws)
    [described] = aws.elbv2.describe_load_balancers(LoadBalancerArns=[balancer])["LoadBalancers"]
    assert described["LoadBalancerName"].startswith("ecs-express-gateway-alb-")
    assert len(described["LoadBalancerName"]) == len("ecs-express-gateway-alb-") + 8
    assert described["Scheme"] == "internet-facing"
    tags = aws.elbv2.describe_tags(ResourceArns=[balancer])["TagDescriptions"][0]["Tags"]
    assert MANAGED in tags
    [listener] = aws.elbv2.describe_listeners(LoadBalancerArn=balancer)["Listeners"]
    assert (listener["Protocol"], listener["Port"]) == ("HTTPS", 443)
    rules = _host_rules(aws, balancer)
    assert sorted(rules) == sorted(_endpoint(s) for s in services)
    groups = aws.elbv2.describe_target_groups(TargetGroupArns=list(rules.values()))["TargetGroups"]
    assert {g["TargetType"] for g in groups} == {"ip"}
    assert {g["HealthCheckPath"] for g in groups} == {"/health"}
    assert all(g["TargetGroupName"].startswith("ecs-gateway-tg-") for g in groups)
    assert {g["Port"] for g in groups} == {8000}


def test_the_twenty_sixth_service_in_a_vpc_gets_a_second_alb(aws: EmulatedAws) -> None:
    for index in range(26):
        aws.create_service(f"svc{index:02d}")
    balancers = _balancers(aws)
    assert len(balancers) == 2
    assert sorted(len(_host_rules(aws, arn)) for arn in balancers) == [1, 25]


def test_private_subnets_get_an_internal_alb_of_their_own(aws: EmulatedAws) -> None:
    public = aws.create_service("sensors")
    vpc = aws.ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    zones = [z["ZoneName"] for z in aws.ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    # Private: their own route table, with no route to the default VPC's internet gateway.
    table = aws.ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    private = [
        aws.ec2.create_subnet(VpcId=vpc, CidrBlock=f"172.31.{200 + i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(zones)
    ]
    for subnet in private:
        aws.ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    internal = aws.create_service("ingest", networkConfiguration={"subnets": private})
    assert internal["activeConfigurations"][0]["ingressPaths"][0]["accessType"] == "PRIVATE"
    schemes = sorted(lb["Scheme"] for lb in aws.elbv2.describe_load_balancers()["LoadBalancers"])
    assert schemes == ["internal", "internet-facing"]
    assert public["activeConfigurations"][0]["ingressPaths"][0]["accessType"] == "PUBLIC"


def test_delete_removes_the_rule_and_target_groups_and_the_last_one_removes_the_alb(
    aws: EmulatedAws,
) -> None:
    sensors = aws.create_service("sensors")
    ingest = aws.create_service("ingest")
    [balancer] = _balancers(aws)
    groups_before = len(aws.elbv2.describe_target_groups()["TargetGroups"])
    aws.ecs.delete_express_gateway_service(serviceArn=sensors["serviceArn"])
    assert list(_host_rules(aws, balancer)) == [_endpoint(ingest)]
    assert len(aws.elbv2.describe_target_groups()["TargetGroups"]) == groups_before - 2
    aws.ecs.delete_express_gateway_service(serviceArn=ingest["serviceArn"])
    assert _balancers(aws) == []
    assert aws.elbv2.describe_target_groups()["TargetGroups"] == []
    leftover = aws.ec2.describe_security_groups(
        Filters=[{"Name": "tag:AmazonECSManaged", "Values": ["true"]}]
    )
    assert leftover["SecurityGroups"] == []


def test_each_service_gets_security_groups_and_a_log_group(aws: EmulatedAws) -> None:
    created = aws.create_service("sensors")
    config = created["activeConfigurations"][0]
    [group] = config["networkConfiguration"]["securityGroups"]
    [described] = aws.ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    assert {"Key": "AmazonECSManaged", "Value": "true"} in described["Tags"]
    assert described["IpPermissions"][0]["FromPort"] == 8000
    logs = aws.client("logs")
    name = config["primaryContainer"]["awsLogsConfiguration"]["logGroup"]
    assert name.startswith("/aws/ecs/default/sensors-")
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]] == [
        name
    ]


def test_local_mode_hands_out_localhost_endpoints_the_router_can_match(aws: EmulatedAws) -> None:
    aws.configure(local_port=8080)
    created = aws.create_service("sensors")
    assert _endpoint(created) == "sensors.localhost:8080"
    [balancer] = _balancers(aws)
    assert list(_host_rules(aws, balancer)) == ["sensors.localhost"]
    aws.create_service("my_app")
    with pytest.raises(ClientError) as error:
        aws.create_service("my-app")  # the same host name as my_app
    assert "already used" in error.value.response["Error"]["Message"]


def test_local_mode_can_leave_a_project_prefix_out_of_host_names(aws: EmulatedAws) -> None:
    aws.configure(local_port=8080, local_strip_prefix="homestack-local-")
    created = aws.create_service("homestack-local-sensors")
    other = aws.create_service("elsewhere-api")
    assert _endpoint(created) == "sensors.localhost:8080"
    assert _endpoint(other) == "elsewhere-api.localhost:8080"
    with pytest.raises(ValueError, match="local_strip_prefix: 'not a prefix' is not a service name prefix"):
        EmulatorConfig(local_strip_prefix="not a prefix")


def test_auto_scaling_objects_follow_the_scaling_target(aws: EmulatedAws) -> None:
    created = aws.create_service(
        "sensors",
        scalingTarget={
            "minTaskCount": 2,
            "maxTaskCount": 6,
            "autoScalingMetric": "REQUEST_COUNT_PER_TARGET",
            "autoScalingTargetValue": 500,
        },
    )
    autoscaling = aws.client("application-autoscaling")
    [target] = autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert target["ResourceId"] == "service/default/sensors"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)
    [policy] = autoscaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == 500
    assert tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ALBRequestCountPerTarget"
    revision = created["activeConfigurations"][0]["serviceRevisionArn"]
    managed = aws.ecs.describe_service_revisions(serviceRevisionArns=[revision])["serviceRevisions"][0][
        "ecsManagedResources"
    ]
    assert managed["autoScaling"]["scalableTarget"]["arn"] == target["ScalableTargetARN"]
    assert managed["autoScaling"]["applicationAutoScalingPolicies"][0]["arn"] == policy["PolicyARN"]
    aws.ecs.update_express_gateway_service(
        serviceArn=created["serviceArn"], scalingTarget={"minTaskCount": 1, "maxTaskCount": 3}
    )
    [policy] = autoscaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    assert policy["PolicyName"] == "sensorsECSServiceAverageCPUUtilization"
    assert (
        autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]["MaxCapacity"]
        == 3
    )
    aws.ecs.delete_express_gateway_service(serviceArn=created["serviceArn"])
    assert autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
    assert autoscaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"] == []
