"""The least-privilege IAM policy of the identity that runs `expressway` for one environment (pure).

Every AWS call expressway makes is granted here and nothing else, each on the project's own resources
wherever the action has a resource-level form; the actions that have none (EC2 and ELBv2 describes,
ecr:GetAuthorizationToken, ecs:ListClusters/ListServices, logs:DescribeLogGroups) are on "*", as the
Service Authorization Reference lists them
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
A test maps every call the deploy path makes to an action here, so a new call cannot slip through
unlisted. `expressway policy --env ENV` prints it.
"""

from __future__ import annotations

from typing import Any

from expressway.plan.arns import (
    INFRASTRUCTURE_MANAGED_POLICY,
    SERVICE_LINKED_ROLES,
    Arns,
)
from expressway.plan.policies import boundary_arn
from expressway.registry import Names, Registry, resolve

# Service principals the deployer may pass expressway's roles to (iam:PassedToService): Express
# assumes the infrastructure role, ECS tasks the execution and task roles.
PASSED_TO = ["ecs.amazonaws.com", "ecs-tasks.amazonaws.com"]
SERVICE_LINKED = list(SERVICE_LINKED_ROLES)
FARGATE_VCPU_QUOTA = "L-3032A538"  # Service Quotas: "Fargate On-Demand vCPU resource count"


def _allow(sid: str, actions: list[str], resources: list[str] | str, **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": resources,
    }
    if condition:
        statement["Condition"] = condition
    return statement


def simulations(policy: dict[str, Any]) -> list[tuple[list[str], str, dict[str, str]]]:
    """(actions, one resource, condition context) per statement: what IAM's policy simulator needs to
    check a caller against the policy (a resource with wildcards becomes one concrete name)."""
    found = []
    for statement in policy["Statement"]:
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else list(statement["Action"])
        resources = statement["Resource"]
        resource = resources if isinstance(resources, str) else resources[0]
        concrete = resource if resource == "*" else resource.replace("*", "expressway-doctor")
        context = {
            key: (value if isinstance(value, str) else value[0])
            for operator in (statement.get("Condition") or {}).values()
            for key, value in operator.items()
        }
        found.append((actions, concrete, context))
    return found


def deployer_policy(registry: Registry, env: str, arns: Arns) -> dict[str, Any]:
    """The policy document the deployer of `env` needs, for the account and partition in `arns`."""
    names = Names.of(registry, env)
    cluster = names.cluster
    services = list(registry.services)
    parameters = sorted(
        {
            ref.removeprefix("ssm:")
            for key in services
            for ref in resolve(registry, key, env).secrets.values()
            if ref.startswith("ssm:")
        }
    )
    # Execution and task roles: only under the environment's path, and only with its boundary, so
    # no role the deployer writes can do more than the boundary an administrator set (the deployer's
    # own role lives outside the path). The infrastructure role: its exact name, the Express managed
    # policy only. ("Permissions boundaries for IAM entities" and "IAM identifiers: paths", IAM User
    # Guide; iam:PermissionsBoundary applies to CreateRole, PutRolePolicy, DeleteRolePolicy,
    # AttachRolePolicy and DetachRolePolicy in the Service Authorization Reference.)
    bounded = arns.role("*", names.role_path)
    infrastructure = arns.role(names.infrastructure_role, names.infrastructure_path)
    boundary = boundary_arn(names, arns)
    groups = [arns.log_group(f"/expressway/{names.project}/{env}/*")]
    statements = [
        _allow(
            "ExpressServices",
            [
                "ecs:CreateExpressGatewayService",
                "ecs:DeleteExpressGatewayService",
                "ecs:DescribeExpressGatewayService",
                "ecs:ListServiceDeployments",
                "ecs:UpdateExpressGatewayService",
            ],
            [arns.regional("ecs", f"service/{cluster}/*")],
        ),
        # Tags are set on create only; ECS authorizes them as a tag-on-create ("Grant permission to
        # tag resources on creation", Amazon ECS developer guide).
        _allow(
            "TagOnCreate",
            ["ecs:TagResource"],
            [arns.regional("ecs", f"service/{cluster}/*")],
            StringEquals={"ecs:CreateAction": "CreateExpressGatewayService"},
        ),
        _allow(
            "FollowDeployments",
            ["ecs:DescribeServiceDeployments", "ecs:DescribeServiceRevisions", "ecs:DescribeTasks"],
            [
                arns.regional("ecs", f"service-deployment/{cluster}/*"),
                arns.regional("ecs", f"service-revision/{cluster}/*"),
                arns.regional("ecs", f"task/{cluster}/*"),
            ],
        ),
        _allow("Cluster", ["ecs:DescribeClusters"], [arns.cluster(cluster)]),
        # CreateCluster has no resource-level permissions (its "Resource types" column is empty in the
        # Service Authorization Reference; the Developer Guide's tag-on-create example grants it on "*").
        _allow("CreateCluster", ["ecs:CreateCluster"], "*"),
        # The shared ALB's capacity counts every Express service of the region, in any cluster.
        _allow("CountExpressServices", ["ecs:DescribeServices"], [arns.regional("ecs", "service/*")]),
        _allow("ListClustersAndServices", ["ecs:ListClusters", "ecs:ListServices", "ecs:ListTasks"], "*"),
        # Reads also by bare name: before a role exists, its path is unknown to IAM, and a read of a
        # role that does not exist yet is how a deploy learns it must create it.
        _allow(
            "ReadRoles",
            ["iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"],
            [bounded, infrastructure, arns.role(f"{names.prefix}-*")],
        ),
        _allow(
            "BoundedRoles",
            [
                "iam:CreateRole",
                "iam:DeleteRolePolicy",
                "iam:DetachRolePolicy",
                "iam:PutRolePolicy",
            ],
            [bounded],
            StringEquals={"iam:PermissionsBoundary": boundary},
        ),
        _allow("TagAndTrustBoundedRoles", ["iam:TagRole", "iam:UpdateAssumeRolePolicy"], [bounded]),
        _allow("InfrastructureRole", ["iam:CreateRole", "iam:TagRole"], [infrastructure]),
        _allow(
            "AttachOnlyTheInfrastructurePolicy",
            ["iam:AttachRolePolicy"],
            [infrastructure],
            ArnEquals={"iam:PolicyARN": [arns.managed_policy(INFRASTRUCTURE_MANAGED_POLICY)]},
        ),
        _allow("ReadTheBoundary", ["iam:GetPolicy", "iam:GetPolicyVersion"], [boundary]),
        _allow(
            "PassRoles",
            ["iam:PassRole"],
            [bounded, infrastructure],
            StringEquals={"iam:PassedToService": PASSED_TO},
        ),
        _allow(
            "ServiceLinkedRoles",
            ["iam:CreateServiceLinkedRole"],
            [arns.role("aws-service-role/*")],
            StringEquals={"iam:AWSServiceName": SERVICE_LINKED},
        ),
        _allow("ReadServiceLinkedRoles", ["iam:GetRole"], [arns.role("aws-service-role/*")]),
        _allow(
            "Tables",
            [
                "dynamodb:CreateTable",
                "dynamodb:DescribeTable",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:TagResource",
                "dynamodb:UpdateTimeToLive",
            ],
            # the registry's tables and the operations table (locks and deploy records), by name
            [arns.table(names.table(key)) for key in sorted(registry.tables)]
            + [arns.table(names.ledger_table)],
        ),
        _allow(
            "DeployLocksAndRecords",
            ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            [arns.table(names.ledger_table)],
        ),
        _allow(
            "LogGroups",
            ["logs:CreateLogGroup", "logs:FilterLogEvents", "logs:PutRetentionPolicy", "logs:TagResource"],
            groups,
        ),
        _allow("FindLogGroups", ["logs:DescribeLogGroups"], [arns.log_group("*")]),
        _allow("EcrLogin", ["ecr:GetAuthorizationToken"], "*"),
        _allow(
            "Repositories",
            [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:CreateRepository",
                "ecr:DescribeImages",
                "ecr:DescribeRepositories",
                "ecr:GetDownloadUrlForLayer",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:PutImageScanningConfiguration",
                "ecr:PutLifecyclePolicy",
                "ecr:TagResource",
                "ecr:UploadLayerPart",
            ],
            [arns.repository(names.repository(key)) for key in services],
        ),
        _allow(
            "Network",
            [
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTags",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            "*",
        ),
        _allow(
            "FargateQuota",
            ["servicequotas:GetServiceQuota"],
            [arns.regional("servicequotas", f"fargate/{FARGATE_VCPU_QUOTA}")],
        ),
    ]
    if parameters:
        statements.append(
            _allow("CheckSecrets", ["ssm:GetParameter"], [arns.parameter(name) for name in parameters])
        )
    generated = sorted(
        {
            ref.removeprefix("ssm:")
            for key in services
            for var, ref in resolve(registry, key, env).secrets.items()
            if ref.startswith("ssm:") and var in resolve(registry, key, env).generated
        }
    )
    if generated:
        statements.append(
            _allow(
                "CreateGeneratedSecrets", ["ssm:PutParameter"], [arns.parameter(name) for name in generated]
            )
        )
    # A registry without tables has no table statement (IAM refuses an empty Resource).
    return {"Version": "2012-10-17", "Statement": [s for s in statements if s["Resource"]]}
