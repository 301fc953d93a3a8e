"""`expressway policy`: the deployer's least-privilege policy, and every AWS call the deploy path makes
is one of its actions (a new call that the policy does not cover fails here)."""

from __future__ import annotations

import fnmatch
import io
import json
from pathlib import Path
from typing import Any

from expressway.aws import session
from expressway.cli import main
from expressway.console import Console
from expressway.deploy.fleet import Operator
from expressway.deploy.rollback import rollback
from expressway.deploy.target import Target
from expressway.ops import status
from expressway.ops.destroy import destroy
from expressway.plan.arns import Arns
from expressway.plan.deployer_policy import deployer_policy
from expressway.registry import Registry

from .conftest import V1, V2, MakeDeployer, push_image

# Actions with no resource-level permissions: the Service Authorization Reference lists no resource
# type for them, so a policy can only grant them on "*".
NO_RESOURCE_LEVEL = {
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "ecr:GetAuthorizationToken",
    "ecs:CreateCluster",
    "ecs:ListClusters",
    "ecs:ListServices",
    "ecs:ListTasks",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetHealth",
}
# Calls that need no permission: GetCallerIdentity works for any valid credentials (AWS STS API
# reference: "No permissions are required to perform this operation").
FREE = {"sts:GetCallerIdentity"}


def _policy(argv: list[str], registry_file: Path) -> tuple[int, Any, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--registry", str(registry_file), "policy", *argv], Console(out, err))
    return code, json.loads(out.getvalue()) if code == 0 else None, err.getvalue()


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def allows(policy: dict[str, Any], action: str) -> bool:
    return any(
        fnmatch.fnmatchcase(action, granted)
        for statement in policy["Statement"]
        if statement["Effect"] == "Allow"
        for granted in _as_list(statement["Action"])
    )


def test_the_policy_is_json_scoped_to_the_projects_names(registry_file: Path) -> None:
    code, policy, _ = _policy(["--env", "prod", "--account", "123456789012"], registry_file)
    assert code == 0
    assert policy["Version"] == "2012-10-17"
    for statement in policy["Statement"]:
        actions = _as_list(statement["Action"])
        assert "*" not in actions, statement["Sid"]
        assert not any(a.endswith(":*") for a in actions), statement["Sid"]
        if statement["Resource"] == "*":
            assert set(actions) <= NO_RESOURCE_LEVEL, statement["Sid"]
        else:
            for resource in _as_list(statement["Resource"]):
                assert resource.startswith("arn:aws:"), resource
                assert "123456789012" in resource or ":iam::aws:policy/" in resource, resource


def test_pass_role_is_limited_to_the_projects_roles_and_to_ecs(registry_file: Path) -> None:
    _, policy, _ = _policy(["--env", "prod", "--account", "123456789012"], registry_file)
    [passing] = [s for s in policy["Statement"] if "iam:PassRole" in s["Action"]]
    assert passing["Resource"] == ["arn:aws:iam::123456789012:role/homestack-prod-*"]
    assert passing["Condition"] == {
        "StringEquals": {"iam:PassedToService": ["ecs.amazonaws.com", "ecs-tasks.amazonaws.com"]}
    }


def test_another_partition_gets_its_own_arns(registry_file: Path) -> None:
    code, policy, _ = _policy(
        ["--env", "prod", "--account", "123456789012", "--partition", "aws-us-gov"], registry_file
    )
    assert code == 0
    resources = [r for s in policy["Statement"] if s["Resource"] != "*" for r in _as_list(s["Resource"])]
    assert resources
    assert all(r.startswith("arn:aws-us-gov:") for r in resources)


def test_a_bad_account_is_refused_with_a_hint(registry_file: Path) -> None:
    code, _, err = _policy(["--env", "prod", "--account", "12"], registry_file)
    assert code == 1
    assert "error: policy: --account '12' is not an AWS account id" in err


def test_without_an_account_the_policy_is_for_the_caller(aws: None, registry_file: Path) -> None:
    code, policy, _ = _policy(["--env", "prod"], registry_file)
    assert code == 0
    assert any("123456789012" in r for s in policy["Statement"] for r in _as_list(s["Resource"]))


def test_every_call_of_the_deploy_path_is_an_action_the_policy_allows(
    aws: None, reg: Registry, deployer_for: MakeDeployer
) -> None:
    session.calls.clear()
    one, two = push_image("homestack/sensors", V1[:12]), push_image("homestack/sensors", V2[:12])
    deployer = deployer_for(reg, image=one)
    results = Operator(deployer).deploy_many(list(reg.services), parallel=4)
    assert all(r.ok for r in results), [r.detail for r in results]
    second = deployer_for(reg, version=V2, image=two)
    assert Operator(second).deploy("sensors").ok
    assert rollback(deployer_for(reg, version=V2), "sensors", None).ok
    deployer.plan(list(reg.services))
    target = Target(reg, "prod")
    status.rows(target, "head")
    destroy(target, "dashboard", 60.0, lambda _: None, poll=0.0)
    made = set(session.calls)
    assert len(made) > 30  # the path really ran: a create, an update, a rollback, status, destroy
    identity = target.identity()
    policy = deployer_policy(reg, "prod", Arns(identity.partition, "eu-west-1", identity.account))
    assert sorted(a for a in made - FREE if not allows(policy, a)) == []
