"""The shared ALB's places: counted by VPC and access type over every cluster and page, said by `plan`
before `deploy` refuses, and not spent twice by parallel first creates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from expressway.deploy.deployer import Deployer
from expressway.deploy.fleet import Operator
from expressway.deploy.target import Target
from expressway.ops import status
from expressway.plan.render import plan_text
from expressway.registry import Registry, parse
from expressway.testing import registry_text
from localcloud.emulation import configure
from localcloud.emulation.testing import EmulatedAws

Make = Callable[..., Deployer]


def _private_subnets(ec2: Any, vpc: str) -> list[str]:
    """Two subnets of `vpc` in two zones whose route table has no internet gateway."""
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    subnets = []
    for index, zone in enumerate(("eu-west-1a", "eu-west-1b")):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"172.31.{200 + index}.0/24", AvailabilityZone=zone)
        subnets.append(subnet["Subnet"]["SubnetId"])
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnets[-1])
    return subnets


def _more_public_subnets(ec2: Any, vpc: str) -> list[str]:
    """Two more public subnets of `vpc` (they give their tasks public IPs, like the default ones)."""
    subnets = []
    for index, zone in enumerate(("eu-west-1a", "eu-west-1b")):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"172.31.{210 + index}.0/24", AvailabilityZone=zone)
        subnets.append(subnet["Subnet"]["SubnetId"])
        ec2.modify_subnet_attribute(SubnetId=subnets[-1], MapPublicIpOnLaunch={"Value": True})
    return subnets


def _other_vpc_subnets(ec2: Any) -> list[str]:
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(("eu-west-1a", "eu-west-1b"))
    ]


def test_only_services_of_the_same_vpc_and_access_type_take_places(aws: None, reg: Registry) -> None:
    emulated = EmulatedAws()
    ec2 = boto3.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    emulated.ecs.create_cluster(clusterName="elsewhere")
    emulated.create_service("ours-1", cluster="elsewhere")  # default VPC, public: same ALB
    emulated.create_service("other-vpc", networkConfiguration={"subnets": _other_vpc_subnets(ec2)})
    emulated.create_service("private", networkConfiguration={"subnets": _private_subnets(ec2, vpc)})
    # Other public subnets of the same VPC: no subnet in common with ours, and yet the same ALB.
    emulated.create_service("same-vpc", networkConfiguration={"subnets": _more_public_subnets(ec2, vpc)})

    target = Target(reg, "prod")
    assert target.services_on_alb() == 2


def test_every_page_of_every_cluster_is_counted(aws: None, reg: Registry) -> None:
    emulated = EmulatedAws()
    emulated.ecs.create_cluster(clusterName="busy")
    for index in range(12):  # ListServices answers 10 a page unless asked for more
        emulated.create_service(f"s{index}", cluster="busy")
    for index in range(101):  # ListClusters answers at most 100 a page
        emulated.ecs.create_cluster(clusterName=f"empty-{index}")
    emulated.create_service("last", cluster="empty-100")

    assert Target(reg, "prod").services_on_alb() == 13


def test_plan_says_the_places_and_blocks_the_create_that_would_open_another_alb(
    aws: None, make_deployer: Make
) -> None:
    configure(services_per_alb=2)
    reg = parse(registry_text())
    plan = make_deployer(reg, alb_places=2).plan(list(reg.services))

    assert [s.action for s in plan.steps].count("blocked") == 1
    assert plan.exit_code == 1
    text = plan_text(plan)
    assert "shared ALB: 0 of 2 places used now, 2 after this plan" in text
    assert "would make Express open another one" in text
    assert "--allow-new-alb" in text
    assert "/month more in eu-west-1" in text
    allowed = make_deployer(reg, alb_places=2, allow_new_alb=True).plan(list(reg.services))
    assert allowed.exit_code == 2
    assert "3 after this plan (2 ALBs)" in plan_text(allowed)


def test_the_first_service_of_an_empty_vpc_is_created_before_the_others_start(
    aws: None, reg: Registry, make_deployer: Make
) -> None:
    said: list[str] = []
    results = Operator(make_deployer(reg, said)).deploy_many(list(reg.services), parallel=4)

    assert all(r.ok for r in results)
    first_done = next(i for i, line in enumerate(said) if ": deployed " in line)
    first = said[first_done].split(":", 1)[0]
    creating = [i for i, line in enumerate(said) if ": creating " in line and not line.startswith(first)]
    assert creating
    assert min(creating) > first_done


# dashboard's SENSORS_URL given outright: all three services are in one wave
_INDEPENDENT = {"dashboard": {"env": {"SENSORS_URL": "http://sensors.example"}}}
_MISSING_SECRET = {"secrets": {"MISSING": "ssm:/nope/missing"}}


def test_when_the_first_create_of_an_empty_vpc_fails_the_rest_of_its_wave_is_not_attempted(
    aws: None, make_deployer: Make
) -> None:
    reg = parse(registry_text({"services": {**_INDEPENDENT, "sensors": _MISSING_SECRET}}))
    said: list[str] = []
    results = Operator(make_deployer(reg, said)).deploy_many(list(reg.services), parallel=4)

    outcome = {r.service: r.status for r in results}
    assert outcome == {"sensors": "failed", "ingest": "skipped", "dashboard": "skipped"}
    skipped = next(r for r in results if r.service == "ingest")
    assert skipped.detail.startswith("not attempted: the first create into an empty VPC (sensors) left no")
    assert not any(": creating " in line for line in said)  # nothing else was even tried
    assert boto3.client("ecs").list_services(cluster="homestack-prod")["serviceArns"] == []


def test_a_failed_create_gives_its_place_on_the_alb_back(aws: None, make_deployer: Make) -> None:
    configure(services_per_alb=2)
    reg = parse(registry_text({"services": {**_INDEPENDENT, "sensors": _MISSING_SECRET}}))
    assert make_deployer(reg, alb_places=2).deploy("ingest").action == "create"  # 1 of 2 places
    # sensors takes the second place, fails before its create and gives it back: dashboard gets it
    results = Operator(make_deployer(reg, alb_places=2)).deploy_many(["sensors", "dashboard"], parallel=1)

    assert [(r.service, r.status) for r in results] == [("sensors", "failed"), ("dashboard", "deployed")]
    assert "SSM parameter /nope/missing does not exist" in results[0].detail
    assert len(boto3.client("elbv2").describe_load_balancers()["LoadBalancers"]) == 1


def test_status_counts_only_expresss_own_rules_on_the_alb(
    aws: None, reg: Registry, make_deployer: Make
) -> None:
    Operator(make_deployer(reg)).deploy_many(["sensors", "ingest"], parallel=2)
    elb = boto3.client("elbv2")
    [balancer] = elb.describe_load_balancers()["LoadBalancers"]
    [listener] = elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    elb.create_rule(  # a custom domain's redirect, added by hand
        ListenerArn=listener["ListenerArn"],
        Priority=900,
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": ["www.example.org"]}}],
        Actions=[{"Type": "redirect", "RedirectConfig": {"Host": "example.org", "StatusCode": "HTTP_301"}}],
    )

    rows = {row.service: row for row in status.rows(Target(reg, "prod"), "head")}

    assert rows["sensors"].alb_services == 2
