"""Registry + environment facts + image -> the exact Express Mode request for one service (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from expressway.errors import UsageError
from expressway.plan import policies
from expressway.plan.arns import Arns
from expressway.plan.live import VERSION_VAR
from expressway.registry import Registry, Table, resolve
from expressway.registry.names import Names
from expressway.registry.refs import dependencies, substitute

METRICS = {"cpu": "AVERAGE_CPU", "memory": "AVERAGE_MEMORY", "requests": "REQUEST_COUNT_PER_TARGET"}
SUPPORT_VAR = "EXPRESSWAY_SUPPORT_DIGEST"
LOG_STREAM_PREFIX = "ecs"


@dataclass(frozen=True)
class Facts:
    """What the deploy learned about the account before planning."""

    account: str
    region: str
    subnets: tuple[str, ...]
    version: str
    endpoint: str | None = None
    partition: str = "aws"

    @property
    def arns(self) -> Arns:
        return Arns(self.partition, self.region, self.account)


@dataclass(frozen=True)
class Spec:
    """Everything one service needs: the Express request and the resources it depends on."""

    key: str
    name: str
    request: dict[str, Any]
    execution_role: str
    task_role: str
    task_policy: dict[str, Any] | None
    execution_policy: dict[str, Any] | None
    tables: dict[str, Table] = field(default_factory=dict)
    log_group: str = ""
    log_retention_days: int = 30
    role_boundary: str | None = None  # the permissions boundary of both roles (a policy ARN)

    @property
    def version(self) -> str:
        """The APP_VERSION this spec stamps into the service's environment."""
        for item in self.request["primaryContainer"].get("environment") or ():
            if item["name"] == VERSION_VAR:
                return str(item["value"])
        return "unversioned"

    @property
    def image(self) -> str:
        return str(self.request["primaryContainer"]["image"])


def spec(
    registry: Registry,
    env: str,
    key: str,
    facts: Facts,
    image: str,
    urls: Mapping[str, str],
    *,
    placeholders: bool = False,
) -> Spec:
    """The desired state of service `key` in `env`; `urls` holds live URLs of its dependencies.

    With `placeholders`, a dependency not deployed yet shows as `<url of X after deploy>` (for
    plans); otherwise it is an error naming the service to deploy first.
    """
    names = Names.of(registry, env)
    svc = resolve(registry, key, env)
    environment = registry.environment(env)
    missing = sorted(dependencies(registry, key) - set(urls))
    if missing and not placeholders:
        raise UsageError(
            f"deploy {key}: needs the URL of {', '.join(missing)}, not deployed in {env}",
            hint=f"deploy it first: `expressway deploy {missing[0]} --env {env}` (or use --all)",
        )
    known = {**{m: f"<url of {m} after deploy>" for m in missing}, **urls}
    table_names = {t: names.table(t) for t in registry.tables}
    env_vars = {var: substitute(value, table_names, known) for var, value in svc.env.items()}
    arns = facts.arns
    secrets = {var: arns.secret_ref(ref) for var, ref in svc.secrets.items()}
    task = policies.task_policy({t: arns.table(table_names[t]) for t in svc.tables}, svc.tables)
    execution = policies.execution_policy(arns, image, names.log_group(key), list(secrets.values()))
    tables = {t: registry.tables[t] for t in sorted(svc.tables)}
    support = {
        "task": task,
        "execution": execution,
        "tables": {table_names[t]: spec.model_dump() for t, spec in tables.items()},
        "retention": environment.log_retention_days,
    }
    digest = hashlib.sha256(json.dumps(support, sort_keys=True).encode()).hexdigest()[:16]
    env_vars[VERSION_VAR] = facts.version
    env_vars[SUPPORT_VAR] = digest
    request: dict[str, Any] = {
        "serviceName": names.service(key),
        "cluster": names.cluster,
        "infrastructureRoleArn": arns.role(names.infrastructure_role, names.infrastructure_path),
        "executionRoleArn": arns.role(names.execution_role(key), names.role_path),
        "taskRoleArn": arns.role(names.task_role(key), names.role_path),
        "healthCheckPath": svc.health,
        "cpu": str(svc.cpu),
        "memory": str(svc.memory),
        "cpuArchitecture": svc.architecture.upper(),
        "primaryContainer": {
            "image": image,
            "containerPort": svc.port,
            "awsLogsConfiguration": {
                "logGroup": names.log_group(key),
                "logStreamPrefix": LOG_STREAM_PREFIX,
            },
            "environment": [{"name": k, "value": v} for k, v in sorted(env_vars.items())],
            "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(secrets.items())],
        },
        "networkConfiguration": {"subnets": list(facts.subnets)},
        "scalingTarget": {
            "minTaskCount": svc.scaling.min,
            "maxTaskCount": svc.scaling.max,
            "autoScalingMetric": METRICS[svc.scaling.metric],
            "autoScalingTargetValue": svc.scaling.target,
        },
        "tags": [{"key": k, "value": v} for k, v in sorted(names.tags(key).items())],
    }
    return Spec(
        key=key,
        name=names.service(key),
        request=request,
        execution_role=names.execution_role(key),
        task_role=names.task_role(key),
        task_policy=task,
        execution_policy=execution,
        tables={table_names[t]: spec for t, spec in tables.items()},
        log_group=names.log_group(key),
        log_retention_days=environment.log_retention_days,
        role_boundary=policies.boundary_arn(names, arns),
    )


CREATE_ONLY = ("serviceName", "cluster", "infrastructureRoleArn", "tags")


def update_request(request: Mapping[str, Any], service_arn: str) -> dict[str, Any]:
    """The UpdateExpressGatewayService request: the full desired config minus create-only fields."""
    body = {k: v for k, v in request.items() if k not in CREATE_ONLY}
    return {"serviceArn": service_arn, **body}
