"""The emulator's IAM evaluation: statements, wildcards, explicit denies, conditions, trust policies."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.emulation.iam_policy import Request, evaluate, trust_allows

TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/homestack-local-sensors"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def test_an_action_is_allowed_only_on_the_resources_a_statement_names() -> None:
    documents = [policy(allow(["dynamodb:GetItem", "dynamodb:Query"], [TABLE, f"{TABLE}/index/*"]))]
    assert evaluate(documents, Request("dynamodb:GetItem", TABLE)) == "allow"
    assert evaluate(documents, Request("dynamodb:Query", f"{TABLE}/index/by-ts")) == "allow"
    assert evaluate(documents, Request("dynamodb:PutItem", TABLE)) == "implicit_deny"
    other = TABLE.replace("sensors", "readings")
    assert evaluate(documents, Request("dynamodb:GetItem", other)) == "implicit_deny"


def test_a_scoped_grant_does_not_allow_an_action_that_has_no_resource_level_permissions() -> None:
    documents = [
        policy(allow("ecs:CreateCluster", "arn:aws:ecs:eu-west-1:123456789012:cluster/homestack-local"))
    ]
    assert evaluate(documents, Request("ecs:CreateCluster", "*")) == "implicit_deny"
    assert evaluate([policy(allow("ecs:CreateCluster"))], Request("ecs:CreateCluster", "*")) == "allow"


def test_action_names_match_without_case_and_with_wildcards_resources_with_case() -> None:
    documents = [policy(allow("DynamoDB:Get*", "arn:aws:dynamodb:*:*:table/homestack-*"))]
    assert evaluate(documents, Request("dynamodb:GetItem", TABLE)) == "allow"
    assert (
        evaluate(documents, Request("dynamodb:GetItem", TABLE.replace("homestack", "HOMESTACK"))) != "allow"
    )
    assert evaluate([policy(allow("s3:Get?bject"))], Request("s3:GetObject", "*")) == "allow"


def test_an_explicit_deny_wins_over_any_allow() -> None:
    documents = [
        policy(allow("*")),
        policy({"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "*"}),
    ]
    assert evaluate(documents, Request("dynamodb:DeleteItem", TABLE)) == "explicit_deny"
    assert evaluate(documents, Request("dynamodb:PutItem", TABLE)) == "allow"


def test_not_action_and_not_resource_invert_their_match() -> None:
    documents = [policy({"Effect": "Allow", "NotAction": "iam:*", "NotResource": TABLE})]
    assert evaluate(documents, Request("ecs:ListClusters", "*")) == "allow"
    assert evaluate(documents, Request("iam:CreateRole", "*")) == "implicit_deny"
    assert evaluate(documents, Request("dynamodb:GetItem", TABLE)) == "implicit_deny"


def test_pass_role_holds_only_for_the_service_the_condition_names() -> None:
    role = "arn:aws:iam::123456789012:role/homestack-local-sensors-task"
    services = ["ecs.amazonaws.com", "ecs-tasks.amazonaws.com"]
    roles = "arn:aws:iam::123456789012:role/homestack-local-*"
    documents = [policy(allow("iam:PassRole", roles, StringEquals={"iam:PassedToService": services}))]
    tasks = Request("iam:PassRole", role, {"iam:PassedToService": ["ecs-tasks.amazonaws.com"]})
    lambda_ = Request("iam:PassRole", role, {"iam:PassedToService": ["lambda.amazonaws.com"]})
    assert evaluate(documents, tasks) == "allow"
    assert evaluate(documents, lambda_) == "implicit_deny"
    assert evaluate(documents, Request("iam:PassRole", role)) == "implicit_deny"  # the key is absent


POLICY_X = "arn:aws:iam::aws:policy/x"


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        ({"ArnEquals": {"iam:PolicyARN": POLICY_X}}, {"iam:policyarn": [POLICY_X]}, True),
        ({"StringNotEquals": {"aws:RequestTag/team": "ops"}}, {}, True),
        ({"StringEqualsIfExists": {"aws:RequestTag/team": "ops"}}, {}, True),
        ({"StringEquals": {"aws:RequestTag/team": "ops"}}, {}, False),
        (
            {"StringLike": {"ecs:CreateAction": "Create*"}},
            {"ecs:CreateAction": ["CreateExpressGatewayService"]},
            True,
        ),
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["c", "b"]}, True),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["c", "b"]}, False),
        ({"Null": {"aws:RequestTag/team": "true"}}, {}, True),
        ({"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": ["true"]}, True),
        ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": ["5"]}, True),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": ["10.0.0.1"]}, False),
    ],
)
def test_condition_operators(condition: dict[str, Any], context: dict[str, list[str]], holds: bool) -> None:
    documents = [policy({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition})]
    assert (evaluate(documents, Request("ecs:TagResource", "*", context)) == "allow") is holds


def test_a_trust_policy_lets_only_its_principals_assume_the_role() -> None:
    tasks = {"Service": "ecs-tasks.amazonaws.com"}
    trust = policy({"Effect": "Allow", "Principal": tasks, "Action": "sts:AssumeRole"})
    assume = Request("sts:AssumeRole", "arn:aws:iam::123456789012:role/r")
    assert trust_allows(trust, {"Service": "ecs-tasks.amazonaws.com"}, assume)
    assert not trust_allows(trust, {"Service": "lambda.amazonaws.com"}, assume)
    assert not trust_allows(trust, {"AWS": "arn:aws:iam::123456789012:user/developer"}, assume)
    root = {"AWS": "arn:aws:iam::123456789012:root"}
    account = policy({"Effect": "Allow", "Principal": root, "Action": "sts:AssumeRole"})
    assert trust_allows(account, {"AWS": "arn:aws:iam::123456789012:user/developer"}, assume)
    assert not trust_allows(account, {"AWS": "arn:aws:iam::999999999999:user/developer"}, assume)
