"""IAM documents: role trust policies and least-privilege task and execution policies (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from expressway.registry import Access

TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"
ECS_PRINCIPAL = "ecs.amazonaws.com"
EXECUTION_MANAGED_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
# Note the lowercase "for": that is the real name (AWS Managed Policy reference guide,
# https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonECSInfrastructureRoleforExpressGatewayServices.html).
INFRASTRUCTURE_MANAGED_POLICY = (
    "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices"
)

# read: every call that returns items or the table's shape. write: read plus creating and changing
# items. DeleteItem is deliberately absent: no service deletes (TTL expires items server-side).
READ_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
)
WRITE_ACTIONS = (
    *READ_ACTIONS,
    "dynamodb:BatchWriteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)


def trust(principal: str) -> dict[str, Any]:
    """Trust policy letting one AWS service principal assume the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}],
    }


def task_policy(table_arns: Mapping[str, str], access: Mapping[str, Access]) -> dict[str, Any] | None:
    """Inline task-role policy: per declared table only its actions; None when none declared."""
    statements = []
    for table in sorted(access):
        arn = table_arns[table]
        actions = READ_ACTIONS if access[table] == "read" else WRITE_ACTIONS
        statements.append(
            {
                "Sid": f"{access[table].capitalize()}{_sid(table)}",
                "Effect": "Allow",
                "Action": sorted(actions),
                "Resource": [arn, f"{arn}/index/*"],
            }
        )
    return {"Version": "2012-10-17", "Statement": statements} if statements else None


def secrets_policy(value_froms: list[str]) -> dict[str, Any] | None:
    """Inline execution-role policy: read exactly these SSM parameters and secrets."""
    parameters = sorted(v for v in value_froms if v.startswith("arn:aws:ssm:"))
    secrets = sorted(v for v in value_froms if v.startswith("arn:aws:secretsmanager:"))
    statements: list[dict[str, Any]] = []
    if parameters:
        statements.append(
            {
                "Sid": "ReadParameters",
                "Effect": "Allow",
                "Action": ["ssm:GetParameters"],
                "Resource": parameters,
            }
        )
    if secrets:
        statements.append(
            {
                "Sid": "ReadSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": secrets,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements} if statements else None


def _sid(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))
