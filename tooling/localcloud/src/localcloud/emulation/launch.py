"""What ECS does before a task's container starts, done in the emulator for the local cloud's agent:
take on the execution role, check it may write the task's log stream, read the task's secrets with
its permissions, and take on the task role, whose credentials the container gets.

Each refusal stops the task with the reason ECS gives ("Amazon ECS stopped task error messages":
ResourceInitializationError for secrets and logging); the evaluation is the emulator's own IAM
(iam_policy), with ECS's service principal `ecs-tasks.amazonaws.com` assuming both roles.
"""

from __future__ import annotations

import json
from typing import Any

from moto.iam.models import iam_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.ssm.models import ssm_backends
from moto.sts.models import sts_backends

from . import network
from .iam_policy import Request, evaluate, trust_allows
from .records import Revision
from .tasks import ExpressTask

TASKS_PRINCIPAL = {"Service": "ecs-tasks.amazonaws.com"}
SESSION_SECONDS = 3600


class LaunchError(Exception):
    """The task cannot start: `reason` is its stoppedReason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _documents(role: Any) -> list[dict[str, Any]]:
    """A role's identity policies: inline ones and attached managed ones (their default version)."""
    found = [json.loads(document) for document in role.policies.values()]
    for policy in role.managed_policies.values():
        version = next((v for v in policy.versions if v.is_default), None)
        if version is not None:
            document = version.document
            found.append(json.loads(document) if isinstance(document, str) else document)
    return found


def _role(iam: Any, arn: str, task_id: str, what: str) -> Any:
    """The role ECS takes on for the task; it must exist and trust ECS tasks."""
    role = next((r for r in iam.roles.values() if r.arn == arn), None)
    request = Request("sts:AssumeRole", arn)
    if role is None or not trust_allows(
        json.loads(role.assume_role_policy_document), TASKS_PRINCIPAL, request
    ):
        raise LaunchError(
            f"ResourceInitializationError: ECS was unable to assume the {what} role '{arn}' that was "
            f"provided for task {task_id}. Please verify that the role being passed has the proper "
            "trust relationship (ecs-tasks.amazonaws.com) and permissions."
        )
    return role


def _deny(who: str, request: Request) -> str:
    return (
        f"AccessDeniedException: User: {who} is not authorized to perform: {request.action} on resource: "
        f"{request.resource} because no identity-based policy allows the {request.action} action"
    )


def prepare(backend: Any, revision: Revision, task: ExpressTask) -> dict[str, Any]:
    """The task's launch: its image, port, health path, environment (with secrets and task-role
    credentials) and log stream; LaunchError with ECS's stoppedReason when it cannot start."""
    account, region, partition = backend.account_id, backend.region_name, backend.partition
    config = revision.config
    container = config["primaryContainer"]
    iam = iam_backends[account][partition]
    task_id = task.id_
    execution = _role(iam, config["executionRoleArn"], task_id, "execution")
    who = f"arn:{partition}:sts::{account}:assumed-role/{execution.name}/{task_id}"
    documents = _documents(execution)
    logs = container["awsLogsConfiguration"]
    stream = f"{logs['logStreamPrefix']}/Main/{task_id}"
    stream_arn = f"arn:{partition}:logs:{region}:{account}:log-group:{logs['logGroup']}:log-stream:{stream}"
    for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
        request = Request(action, stream_arn)
        if evaluate(documents, request) != "allow":
            raise LaunchError(
                "ResourceInitializationError: failed to validate logger args: create stream has been "
                f"retried 1 times: failed to create Cloudwatch log stream: {_deny(who, request)}"
            )
    environment = {
        str(item["name"]): str(item.get("value", "")) for item in container.get("environment") or []
    }
    for item in container.get("secrets") or []:
        environment[str(item["name"])] = _secret(
            account, region, partition, str(item["valueFrom"]), documents, who
        )
    environment.update(
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
        AWS_EXECUTION_ENV="AWS_ECS_FARGATE",
        ECS_CONTAINER_METADATA_URI=f"http://169.254.170.2/v3/{task_id}",
        ECS_CONTAINER_METADATA_URI_V4=f"http://169.254.170.2/v4/{task_id}",
    )
    if config.get("taskRoleArn"):
        role = _role(iam, config["taskRoleArn"], task_id, "task")
        no_policy: Any = None  # what moto's own handler passes when the request has no session policy
        sts = sts_backends[account][partition]
        assumed = sts.assume_role(region, task_id, role.arn, no_policy, SESSION_SECONDS, no_policy)
        environment.update(
            AWS_ACCESS_KEY_ID=assumed.access_key_id,
            AWS_SECRET_ACCESS_KEY=assumed.secret_access_key,
            AWS_SESSION_TOKEN=assumed.session_token,
        )
    network.ensure_log_group(account, region, logs["logGroup"])
    return {
        "image": container.get("image", ""),
        "port": int(container["containerPort"]),
        "health_path": config.get("healthCheckPath") or "/",
        "environment": environment,
        "command": list(container.get("command") or []),
        "log_group": logs["logGroup"],
        "log_stream": stream,
        "cpu_architecture": config.get("cpuArchitecture", "X86_64"),
    }


def _secret(
    account: str, region: str, partition: str, value_from: str, documents: list[Any], who: str
) -> str:
    """The value of one secret, read as the execution role (SSM parameter or Secrets Manager)."""
    if ":secretsmanager:" in value_from:
        request = Request("secretsmanager:GetSecretValue", value_from)
        source = "asm"
    else:
        name = value_from.split(":parameter", 1)[1] if ":parameter" in value_from else value_from
        arn = value_from if value_from.startswith("arn:") else (
            f"arn:{partition}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"
        )  # fmt: skip
        request = Request("ssm:GetParameters", arn)
        source = "ssm"
    failure = (
        "ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve "
        f"secrets from {source}: service call has been retried 1 time(s): "
    )
    if evaluate(documents, request) != "allow":
        raise LaunchError(failure + _deny(who, request))
    if source == "asm":
        try:
            latest: Any = None  # no version id: the AWSCURRENT stage
            found = secretsmanager_backends[account][region].get_secret_value(
                value_from, latest, "AWSCURRENT"
            )
        except Exception:  # moto's ResourceNotFoundException
            raise LaunchError(failure + f"ResourceNotFoundException: secret {value_from} not found") from None
        return str(found.get("SecretString") or "")
    parameter = ssm_backends[account][region].get_parameter(value_from)
    if parameter is None:
        raise LaunchError(failure + f"invalid parameters: {name}")
    return str(parameter.decrypt(parameter.value))
