"""The deployer identity cannot give itself, or anything else, more than its own policy.

The deployer creates the execution and task roles and writes their inline policies, and hands them to
ECS. Before, its IAM statements covered every role named `<project>-<env>-*`: the deployer role the
README creates (`homestack-prod-deployer`) and another environment's roles (`homestack-prod-eu-*`)
among them, so `iam:PutRolePolicy` with an Allow-everything document made it an administrator. Now
it may create and change roles under the environment's IAM path only, only with the environment's
permissions boundary set, and the infrastructure role only as itself with the Express managed policy.
Each check asks the local cloud's IAM evaluator about the policy `expressway policy` prints."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from expressway.cli import main
from expressway.console import Console
from localcloud.emulation.iam_policy import Request, evaluate

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "arn:aws:iam::123456789012"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def printed(*argv: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--registry", str(ROOT / "services.toml"), "policy", *argv], Console(out, err))
    assert code == 0, err.getvalue()
    document: dict[str, Any] = json.loads(out.getvalue())
    return document


@pytest.fixture(scope="module")
def deployer() -> dict[str, Any]:
    return printed("--env", "prod", "--account", "123456789012")


def allowed(policy: dict[str, Any], action: str, resource: str, **context: str) -> bool:
    request = Request(action, resource, {key: [value] for key, value in context.items()})
    return evaluate([policy], request) == "allow"


@pytest.mark.parametrize(
    "role",
    [
        "homestack-prod-deployer",  # the deployer role the README creates
        "homestack-prod-eu-sensors-task",  # another environment of the project, old layout
        "expressway/homestack/prod-eu/homestack-prod-eu-sensors-task",  # and new layout
        "expressway-infrastructure/homestack/prod/homestack-prod-infrastructure",  # Express's own
        "OrganizationAccountAccessRole",
    ],
)
def test_no_role_outside_the_environments_path_gets_a_policy_written(
    deployer: dict[str, Any], role: str
) -> None:
    arn = f"{ACCOUNT}:role/{role}"
    for boundary in ("", f"{ACCOUNT}:policy/expressway/homestack/prod/homestack-prod-boundary"):
        context = {"iam:PermissionsBoundary": boundary} if boundary else {}
        assert not allowed(deployer, "iam:PutRolePolicy", arn, **context)
        assert not allowed(deployer, "iam:AttachRolePolicy", arn, **context, **{"iam:PolicyARN": ADMIN})
        assert not allowed(deployer, "iam:UpdateAssumeRolePolicy", arn, **context)


def test_roles_on_the_path_are_made_and_changed_only_under_the_boundary(deployer: dict[str, Any]) -> None:
    role = f"{ACCOUNT}:role/expressway/homestack/prod/anything"
    boundary = f"{ACCOUNT}:policy/expressway/homestack/prod/homestack-prod-boundary"
    for action in ("iam:CreateRole", "iam:PutRolePolicy"):
        assert not allowed(deployer, action, role)
        assert not allowed(deployer, action, role, **{"iam:PermissionsBoundary": f"{ACCOUNT}:policy/wide"})
        assert allowed(deployer, action, role, **{"iam:PermissionsBoundary": boundary})
    for action in (
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:DeleteRolePermissionsBoundary",
    ):
        assert not allowed(deployer, action, boundary)
        assert not allowed(deployer, action, role)


def test_the_boundary_grants_nothing_of_iam_or_outside_the_environment() -> None:
    boundary = printed("--env", "prod", "--account", "123456789012", "--boundary")
    for action, resource in [
        ("iam:PutRolePolicy", f"{ACCOUNT}:role/homestack-prod-deployer"),
        ("sts:AssumeRole", f"{ACCOUNT}:role/homestack-prod-deployer"),
        ("dynamodb:Scan", "arn:aws:dynamodb:eu-west-1:123456789012:table/homestack-staging-readings"),
        ("ssm:GetParameter", "arn:aws:ssm:eu-west-1:123456789012:parameter/other/secret"),
        ("s3:GetObject", "arn:aws:s3:::bucket/key"),
    ]:
        assert not allowed(boundary, action, resource), (action, resource)
    table = "arn:aws:dynamodb:eu-west-1:123456789012:table/homestack-prod-readings"
    assert allowed(boundary, "dynamodb:PutItem", table)
