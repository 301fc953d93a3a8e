"""IAM documents: role trust policies and least-privilege task and execution policies (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from expressway.plan.arns import Arns, parse_arn, parse_ecr
from expressway.registry import Access, Names, Registry, resolve

TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"
ECS_PRINCIPAL = "ecs.amazonaws.com"

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
PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")


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


def execution_policy(arns: Arns, image: str, log_group: str, value_froms: list[str]) -> dict[str, Any]:
    """Inline execution-role policy: pull the service's image, write its log group, read exactly its
    secrets. It replaces the AWS managed AmazonECSTaskExecutionRolePolicy, whose ECR and Logs actions
    are on every resource ("Amazon ECS task execution IAM role",
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html).

    logs:CreateLogGroup is granted on the service's own group only: the awslogs driver creates the
    group when its `awslogs-create-group` option is true, and fails the task without that permission
    ("Using the awslogs log driver", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html).
    Whether Express sets the option is not documented, and expressway creates the group before the
    first deploy, so the permission costs nothing and covers either case.
    """
    group = arns.log_group(log_group)
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [group, f"{group}:*"],
        }
    ]
    ecr = parse_ecr(image)
    if ecr is not None:
        # GetAuthorizationToken has no resource-level permissions (Service Authorization Reference,
        # Amazon Elastic Container Registry): it needs "*". The pull itself is scoped to one repository.
        statements.append(
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"}
        )
        statements.append(
            {
                "Sid": "PullImage",
                "Effect": "Allow",
                "Action": sorted(PULL_ACTIONS),
                "Resource": [ecr.repository_arn(arns.partition)],
            }
        )
    by_service: dict[str, list[str]] = {}
    for value_from in value_froms:
        parsed = parse_arn(value_from)
        by_service.setdefault(parsed[1] if parsed else "", []).append(value_from)
    for service, sid, action in (
        ("ssm", "ReadParameters", "ssm:GetParameters"),
        ("secretsmanager", "ReadSecrets", "secretsmanager:GetSecretValue"),
    ):
        if by_service.get(service):
            resources = sorted(by_service[service])
            statements.append({"Sid": sid, "Effect": "Allow", "Action": [action], "Resource": resources})
    return {"Version": "2012-10-17", "Statement": statements}


def boundary_arn(names: Names, arns: Arns) -> str:
    """The ARN of the environment's permissions boundary (a customer managed policy at the roles' path)."""
    return arns.policy(names.boundary_policy, names.role_path)


def boundary_policy(registry: Registry, env: str, arns: Arns) -> dict[str, Any]:
    """The permissions boundary of every execution and task role of `env`: the most any of them may
    ever do (the environment's tables, its services' repositories and log groups, its declared
    secrets). An administrator creates it once (`expressway policy --env ENV --boundary`) and updates
    it when services.toml adds a table or a secret; a role's permissions are its inline policy
    *within* this boundary ("Permissions boundaries for IAM entities", IAM User Guide,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html)."""
    names = Names.of(registry, env)
    tables = {key: arns.table(names.table(key)) for key in registry.tables}
    writes: dict[str, Access] = dict.fromkeys(tables, "write")
    statements = list((task_policy(tables, writes) or {"Statement": []})["Statement"])
    value_froms = sorted(
        {
            arns.secret_ref(ref)
            for key in registry.services
            for ref in resolve(registry, key, env).secrets.values()
        }
    )
    repositories = [arns.repository(names.repository(key)) for key in sorted(registry.services)]
    # Logs and secrets as each execution policy grants them, over every log group of the environment;
    # the image pull over every repository of the project's services.
    statements += execution_policy(arns, "", names.log_group("*"), value_froms)["Statement"]
    statements += [
        {"Sid": "EcrLogin", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"},
        {
            "Sid": "PullImages",
            "Effect": "Allow",
            "Action": sorted(PULL_ACTIONS),
            "Resource": repositories,
        },
    ]
    return {"Version": "2012-10-17", "Statement": [s for s in statements if s["Resource"]]}


def _sid(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))
