"""Generated IAM policies grant exactly the declared table access and secrets, nothing more."""

from __future__ import annotations

import dataclasses
from typing import Any

from expressway.plan.desired import Facts, Spec, spec
from expressway.plan.policies import READ_ACTIONS, WRITE_ACTIONS
from expressway.registry import parse
from expressway.testing import registry_text

FACTS = Facts(account="123456789012", region="eu-west-1", subnets=("subnet-a", "subnet-b"), version="v1")
TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/homestack-prod-"


ECR_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/homestack/sensors@sha256:" + "a" * 64


def _spec(key: str, *, image: str = "img:1", partition: str = "aws") -> Spec:
    reg = parse(registry_text())
    facts = dataclasses.replace(FACTS, partition=partition)
    return spec(reg, "prod", key, facts, image, {"sensors": "https://s"})


def test_reader_gets_only_read_actions_on_only_its_tables() -> None:
    policy = _spec("sensors").task_policy
    assert policy is not None
    grants = {tuple(s["Resource"]): tuple(s["Action"]) for s in policy["Statement"]}
    assert grants == {
        (f"{TABLE}readings", f"{TABLE}readings/index/*"): tuple(sorted(READ_ACTIONS)),
        (f"{TABLE}sensors", f"{TABLE}sensors/index/*"): tuple(sorted(READ_ACTIONS)),
    }
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])


def test_writer_gets_read_plus_put_update_batch_write_but_never_delete() -> None:
    policy = _spec("ingest").task_policy
    assert policy is not None
    for statement in policy["Statement"]:
        assert set(statement["Action"]) == set(WRITE_ACTIONS)
        assert "dynamodb:DeleteItem" not in statement["Action"]
        assert not any("*" in a for a in statement["Action"])


def test_service_without_tables_has_no_task_permissions_at_all() -> None:
    assert _spec("dashboard").task_policy is None


def _statement(policy: dict[str, Any] | None, sid: str) -> dict[str, Any] | None:
    assert policy is not None
    return next((s for s in policy["Statement"] if s["Sid"] == sid), None)


def test_execution_role_reads_only_the_services_own_secrets() -> None:
    assert _statement(_spec("ingest").execution_policy, "ReadParameters") == {
        "Sid": "ReadParameters",
        "Effect": "Allow",
        "Action": ["ssm:GetParameters"],
        "Resource": ["arn:aws:ssm:eu-west-1:123456789012:parameter/homestack/ingest/api-key"],
    }
    assert _statement(_spec("sensors").execution_policy, "ReadParameters") is None


def test_execution_role_writes_only_its_own_log_group_and_pulls_only_its_own_repository() -> None:
    policy = _spec("sensors", image=ECR_IMAGE).execution_policy
    group = "arn:aws:logs:eu-west-1:123456789012:log-group:/expressway/homestack/prod/sensors"
    assert _statement(policy, "WriteLogs") == {
        "Sid": "WriteLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [group, f"{group}:*"],
    }
    pull = _statement(policy, "PullImage")
    assert pull is not None
    assert pull["Resource"] == ["arn:aws:ecr:eu-west-1:123456789012:repository/homestack/sensors"]
    assert policy is not None
    anywhere = [s for s in policy["Statement"] if s["Resource"] == "*"]
    assert [s["Action"] for s in anywhere] == [["ecr:GetAuthorizationToken"]]  # no resource-level form


def test_an_image_outside_ecr_needs_no_ecr_permission() -> None:
    policy = _spec("sensors", image="ghcr.io/acme/sensors:1").execution_policy
    assert _statement(policy, "PullImage") is None
    assert _statement(policy, "EcrLogin") is None


def test_arns_follow_the_callers_partition() -> None:
    policy = _spec("ingest", partition="aws-us-gov").execution_policy
    reads = _statement(policy, "ReadParameters")
    assert reads is not None
    assert reads["Resource"] == [
        "arn:aws-us-gov:ssm:eu-west-1:123456789012:parameter/homestack/ingest/api-key"
    ]
