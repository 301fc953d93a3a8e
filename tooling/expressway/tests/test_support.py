"""Roles, policies, tables, log groups and the network against moto: exact, least-privilege, idempotent."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from expressway.aws import session
from expressway.aws.ec2 import network
from expressway.aws.iam import Iam
from expressway.aws.sts import identity
from expressway.deploy import prerequisites as support
from expressway.errors import AwsError, DeployError, ExpresswayError
from expressway.plan import policies
from expressway.plan.arns import SERVICE_LINKED_ROLES
from expressway.plan.desired import Facts, spec
from expressway.registry import Registry, parse
from expressway.testing import registry_text


def _facts(reg: Registry) -> Facts:
    env = reg.environment("prod")
    net = network(env)
    return Facts(identity(env).account, env.region, net.subnets, "v1")


def test_default_vpc_gives_one_subnet_list_across_zones(aws: None, reg: Registry) -> None:
    net = network(reg.environment("prod"))
    ec2 = boto3.client("ec2")
    default = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    assert net.vpc == default
    assert len(net.subnets) >= 2
    zones = {s["AvailabilityZone"] for s in ec2.describe_subnets(SubnetIds=list(net.subnets))["Subnets"]}
    assert len(zones) == len(net.subnets)


def test_private_access_in_default_vpc_is_refused_with_a_hint(aws: None) -> None:
    reg = parse(registry_text({"environments": {"prod": {"access": "private"}}}))
    with pytest.raises(ExpresswayError, match="found 0 private subnets") as caught:
        network(reg.environment("prod"))
    assert caught.value.hint is not None


def test_first_ensure_creates_exactly_the_expected_resources(aws: None, reg: Registry) -> None:
    said: list[str] = []
    support.ensure_shared(reg, "prod", _facts(reg).arns, said.append)
    for key in ("sensors", "ingest", "dashboard"):
        support.ensure_service(
            reg, "prod", spec(reg, "prod", key, _facts(reg), "img", {"sensors": "u"}), said.append
        )
    iam = boto3.client("iam")
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert roles == {
        "homestack-prod-infrastructure",
        *(
            f"homestack-prod-{s}-{kind}"
            for s in ("sensors", "ingest", "dashboard")
            for kind in ("execution", "task")
        ),
        *SERVICE_LINKED_ROLES.values(),
    }
    assert "created the service-linked role of ecs.amazonaws.com" in said
    infra = iam.list_attached_role_policies(RoleName="homestack-prod-infrastructure")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in infra] == [
        "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices"
    ]
    trust: Any = iam.get_role(RoleName="homestack-prod-infrastructure")["Role"]["AssumeRolePolicyDocument"]
    assert trust == policies.trust("ecs.amazonaws.com")
    tables = boto3.client("dynamodb").list_tables()["TableNames"]
    assert sorted(tables) == ["homestack-prod-readings", "homestack-prod-sensors"]
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName="homestack-prod-readings")
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
    groups = boto3.client("logs").describe_log_groups()["logGroups"]
    assert {(g["logGroupName"], g.get("retentionInDays")) for g in groups} == {
        (f"/expressway/homestack/prod/{s}", 30) for s in ("sensors", "ingest", "dashboard")
    }
    clusters = boto3.client("ecs").describe_clusters(clusters=["homestack-prod"])["clusters"]
    assert clusters[0]["status"] == "ACTIVE"


def test_roles_in_aws_hold_exactly_the_generated_policies(aws: None, reg: Registry) -> None:
    facts = _facts(reg)
    for key in ("sensors", "ingest", "dashboard"):
        wanted = spec(reg, "prod", key, facts, "img", {"sensors": "u"})
        support.ensure_service(reg, "prod", wanted, lambda _: None)
        iam = Iam(reg.environment("prod"))
        assert iam.inline_policy(wanted.task_role) == wanted.task_policy
        assert iam.inline_policy(wanted.execution_role) == wanted.execution_policy
        for role in (wanted.task_role, wanted.execution_role):
            attached = boto3.client("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"]
            assert attached == []  # no AWS managed policy: their actions are on every resource
    assert Iam(reg.environment("prod")).inline_policy("homestack-prod-dashboard-task") is None


def test_second_ensure_changes_nothing(aws: None, reg: Registry) -> None:
    facts = _facts(reg)
    wanted = spec(reg, "prod", "ingest", facts, "img", {})
    support.ensure_shared(reg, "prod", facts.arns, lambda _: None)
    support.ensure_service(reg, "prod", wanted, lambda _: None)
    said: list[str] = []
    support.ensure_shared(reg, "prod", facts.arns, said.append)
    support.ensure_service(reg, "prod", wanted, said.append)
    assert said == []


def test_changed_table_access_rewrites_only_the_policy(aws: None, reg: Registry) -> None:
    facts = _facts(reg)
    support.ensure_service(reg, "prod", spec(reg, "prod", "sensors", facts, "img", {}), lambda _: None)
    wider = parse(registry_text({"services": {"sensors": {"tables": {"sensors": "write"}}}}))
    said: list[str] = []
    changed = spec(wider, "prod", "sensors", facts, "img", {})
    support.ensure_service(wider, "prod", changed, said.append)
    assert said == ["role homestack-prod-sensors-task: inline policy"]
    assert Iam(reg.environment("prod")).inline_policy("homestack-prod-sensors-task") == changed.task_policy


def test_missing_secret_parameter_fails_before_deploying(aws: None, reg: Registry) -> None:
    boto3.client("ssm").delete_parameter(Name="/homestack/ingest/api-key")
    wanted = spec(reg, "prod", "ingest", _facts(reg), "img", {})
    with pytest.raises(
        DeployError, match="secret INGEST_API_KEY: SSM parameter /homestack/ingest/api-key"
    ) as caught:
        support.ensure_service(reg, "prod", wanted, lambda _: None)
    assert caught.value.hint is not None
    assert "put-parameter" in caught.value.hint


def test_aws_errors_name_the_step_the_code_and_a_hint(aws: None, reg: Registry) -> None:
    iam = session.client(reg.environment("prod"), "iam")
    with pytest.raises(AwsError) as caught:
        session.run(
            "attach policy to role x",
            iam.attach_role_policy,
            RoleName="x",
            PolicyArn="arn:aws:iam::aws:policy/nope",
        )
    assert str(caught.value).startswith("attach policy to role x: NoSuchEntity: ")


def test_missing_credentials_is_a_clear_error(reg: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    session.reset()
    with pytest.raises(ExpresswayError, match="check AWS credentials: no AWS credentials found") as caught:
        identity(reg.environment("prod"))
    assert caught.value.hint is not None
    session.reset()


def test_calls_are_counted_per_operation(aws: None, reg: Registry) -> None:
    identity(reg.environment("prod"))
    identity(reg.environment("prod"))
    assert session.calls["sts:GetCallerIdentity"] == 2
    assert session.call_count() == 2
