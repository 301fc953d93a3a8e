"""What the emulator remembers about each Express service, kept inside moto's ECS backend so
that moto's reset clears it with everything else."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .alb import Ingress
from .scaling import Scaling

_STORE_KEY = "_expressway_express_services"


@dataclass
class Revision:
    """One immutable service revision: the configuration a deployment rolls out."""

    arn: str
    config: dict[str, Any]  # ExpressGatewayServiceConfiguration fields, without ARN and dates
    task_definition_arn: str
    target_group_arn: str  # the one of the service's two target groups its tasks register in
    created_at: datetime


@dataclass
class Deployment:
    """A service deployment from `source` (None for the first) to `target`."""

    arn: str
    target: Revision
    source: Revision | None
    created_at: datetime
    ready_at: datetime  # earliest moment it may finish (deployment and provisioning delays)
    failure: str | None  # why it fails (a fault, or tasks that failed): it rolls back or stops
    ecs_id: str = ""  # the ECS deployment its tasks are started by: "ecs-svc/<ecs_id>"
    status: str = "PENDING"
    reads: int = 0  # counted reads while IN_PROGRESS
    pending_reads: int = 0  # counted reads while PENDING
    hidden_lists: int = 0  # ListServiceDeployments answers that do not show it yet
    hidden_describes: int = 0  # DescribeServiceDeployments answers that report it MISSING yet
    task_failure: str | None = None  # a fault: every task of this deployment fails to start so
    failed_tasks: int = 0  # tasks of the target revision that stopped before serving
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def running(self) -> bool:
        """PENDING or IN_PROGRESS: not finished."""
        return self.status in ("PENDING", "IN_PROGRESS")


@dataclass
class ExpressService:
    """An Express service and the moto objects it owns."""

    arn: str
    name: str
    cluster_name: str
    cluster_arn: str
    infrastructure_role_arn: str
    tags: list[dict[str, str]]
    created_at: datetime
    provisioned_at: datetime  # managed resources report PROVISIONING until then
    ingress: Ingress
    vpc_id: str
    access_type: str
    service_security_group: str
    log_group: str
    log_group_arn: str
    serving: Revision  # the revision that serves traffic (changes when a deployment succeeds)
    updated_at: datetime
    revisions: list[Revision] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    status: str = "ACTIVE"
    status_reason: str | None = None
    draining_since: datetime | None = None
    drain_reads: int = 0
    scaling: Scaling | None = None
    attached: bool = True  # holds a rule and target groups on its ALB (until deleted)
    failed_resources: dict[str, str] = field(default_factory=dict)  # managed resource -> reason
    crashes: int = 0  # serving tasks that stopped in a row, for the replacement's backoff

    @property
    def latest(self) -> Deployment:
        return self.deployments[-1]


def store(backend: Any) -> dict[str, ExpressService]:
    """The Express services of one moto ECS backend (one account and region), by ARN."""
    found: dict[str, ExpressService] = backend.__dict__.setdefault(_STORE_KEY, {})
    return found


def now() -> datetime:
    """The emulator's one clock (aware, UTC)."""
    return datetime.now(UTC)


def elapsed(since: datetime, seconds: float, now: datetime) -> bool:
    return now >= since + timedelta(seconds=seconds)
