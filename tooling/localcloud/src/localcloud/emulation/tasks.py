"""The ECS tasks of Express services, as moto Task objects (so DescribeTasks and ListTasks show them),
and the service events ECS writes about them.

A task belongs to one revision of one Express service; it is PROVISIONING until it runs, RUNNING
while it serves, and STOPPED (with `stoppedReason` and `stopCode`) when it failed or was replaced.
Stop reasons and event messages follow the ones the Amazon ECS Developer Guide quotes ("Amazon ECS
stopped task error messages", "Viewing Amazon ECS service event messages"); docs/emulation.md says
which are exact and which are modelled.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from moto.ec2.models import ec2_backends
from moto.ecs.models import Task
from moto.moto_api._internal import mock_random

from .records import ExpressService, Revision, now

MAX_EVENTS = 100  # DescribeServices returns the service's 100 most recent events


class ExpressTask(Task):
    """moto's Task whose status moves only when the emulator moves it (moto's own task model takes
    one step towards STOPPED on every DescribeTasks)."""

    def __init__(self, backend: Any, svc: ExpressService, revision: Revision, started_by: str) -> None:
        cluster = backend.clusters[svc.cluster_name]
        definition = backend.describe_task_definition(revision.task_definition_arn)
        network = revision.config["networkConfiguration"]
        super().__init__(
            cluster,
            definition,
            None,
            None,
            backend,
            group=f"service:{svc.name}",
            launch_type="FARGATE",
            started_by=started_by,
            networking_configuration={
                "awsvpcConfiguration": {
                    "subnets": list(network["subnets"]),
                    "securityGroups": list(network["securityGroups"]),
                }
            },
            platform_version="1.4.0",
            capacity_provider_name="FARGATE",
        )
        self._state = "PROVISIONING"
        self.service_arn = svc.arn
        self.revision_arn = revision.arn
        self.target_group_arn = revision.target_group_arn
        self.port = int(revision.config["primaryContainer"]["containerPort"])
        self.cpu = str(revision.config.get("cpu", definition.cpu))
        self.memory = str(revision.config.get("memory", definition.memory))
        self.platform_family = "Linux"
        self.availability_zone = None
        self.health_status = "UNKNOWN"
        self.created_at = now()
        self.started_at: datetime | None = None
        self.stopping_at: datetime | None = None
        self.stopped_at: datetime | None = None
        self.execution_stopped_at: datetime | None = None
        self.stop_code: str | None = None
        self.version = 1
        # Where the task answers: its ENI's private address (the agent replaces it with a real one).
        self.address = _detail(self.attachments, "privateIPv4Address") or "10.0.0.1"
        self.registered = False  # whether its address is a target of its revision's target group
        self.pull_started_at: datetime | None = self.created_at
        self.connectivity: str | None = None
        self.connectivity_at: datetime | None = None
        self.not_before: datetime | None = None  # a replacement waits out its backoff
        self.launch: dict[str, Any] | None = None  # what the local cloud's agent runs (agent.py)
        self.pull_stopped_at: datetime | None = None

    @property
    def status(self) -> str:
        return self._state

    @status.setter
    def status(self, value: str) -> None:
        self._state = value

    def advance(self) -> None:
        """moto calls this on every DescribeTasks; an Express task keeps its state."""

    @property
    def id_(self) -> str:
        return str(self.task_arn).rsplit("/", 1)[-1]


def _detail(attachments: list[dict[str, Any]], name: str) -> str | None:
    for attachment in attachments:
        for detail in attachment.get("details", []):
            if detail.get("name") == name:
                return str(detail.get("value"))
    return None


def of_service(backend: Any, svc: ExpressService) -> list[ExpressTask]:
    """Every task of the service, oldest first."""
    found = [
        task
        for task in backend.tasks.get(svc.cluster_name, {}).values()
        if isinstance(task, ExpressTask) and task.service_arn == svc.arn
    ]
    return sorted(found, key=lambda task: task.created_at)


def live(backend: Any, svc: ExpressService, revision: Revision | None = None) -> list[ExpressTask]:
    """The tasks of the service (of one revision) that are wanted running."""
    return [
        task
        for task in of_service(backend, svc)
        if task.desired_status == "RUNNING" and (revision is None or task.revision_arn == revision.arn)
    ]


def start(
    backend: Any, svc: ExpressService, revision: Revision, count: int, ecs_id: str
) -> list[ExpressTask]:
    """`count` new tasks of `revision`, PROVISIONING, with a "has started" event."""
    made = [ExpressTask(backend, svc, revision, f"ecs-svc/{ecs_id}") for _ in range(count)]
    for task in made:
        backend.tasks.setdefault(svc.cluster_name, {})[task.task_arn] = task
    if made:
        names = " ".join(f"(task {task.id_})" for task in made)
        event(backend, svc, f"has started {len(made)} tasks: {names}.")
    refresh_counts(backend, svc)
    return made


def running(backend: Any, svc: ExpressService, task: ExpressTask) -> None:
    """The task's container started."""
    if task.status == "STOPPED":
        return
    task.status = "RUNNING"
    task.started_at = task.started_at or now()
    task.connectivity = "CONNECTED"
    task.connectivity_at = task.started_at
    task.pull_stopped_at = task.started_at
    for container in task.containers:
        container.last_status = "RUNNING"
    refresh_counts(backend, svc)


def stop(
    backend: Any,
    svc: ExpressService,
    task: ExpressTask,
    reason: str,
    code: str = "ServiceSchedulerInitiated",
    exit_code: int | None = None,
) -> None:
    """Stop the task for `reason` (its stoppedReason); its ENI goes with it."""
    if task.status == "STOPPED":
        return
    when = now()
    failed_to_start = task.started_at is None
    task.desired_status = "STOPPED"
    task.status = "STOPPED"
    task.stopped_reason = reason
    task.stop_code = code
    task.stopping_at = task.stopping_at or when
    task.stopped_at = task.execution_stopped_at = when
    task.health_status = "UNKNOWN"
    for container in task.containers:
        container.last_status = "STOPPED"
        container.__dict__.update(reason=reason if failed_to_start else None, exit_code=exit_code)
    eni = _detail(task.attachments, "networkInterfaceId")
    if eni:
        with contextlib.suppress(Exception):  # already gone with its subnet
            ec2_backends[task._account_id][task.region_name].delete_network_interface(eni)
    refresh_counts(backend, svc)


def stop_all(
    backend: Any, svc: ExpressService, tasks: Iterable[ExpressTask], reason: str
) -> list[ExpressTask]:
    """Stop every task in `tasks` that still runs, with one "has stopped" event."""
    stopped = [task for task in tasks if task.status != "STOPPED"]
    for task in stopped:
        stop(backend, svc, task, reason)
    if stopped:
        names = " ".join(f"(task {task.id_})" for task in stopped)
        event(backend, svc, f"has stopped {len(stopped)} running tasks: {names}.")
    return stopped


def refresh_counts(backend: Any, svc: ExpressService) -> None:
    """The ECS service's running and pending counts follow its tasks."""
    service = backend.services.get(f"{svc.cluster_name}:{svc.name}")
    if service is None:
        return
    tasks = [task for task in of_service(backend, svc) if task.status != "STOPPED"]
    service.running_count = sum(1 for task in tasks if task.status == "RUNNING")
    service.pending_count = len(tasks) - service.running_count
    for deployment in service.deployments:
        deployment.update(runningCount=service.running_count, pendingCount=service.pending_count)
    cluster = backend.clusters.get(svc.cluster_name)
    if cluster is not None:
        every = [
            task
            for task in backend.tasks.get(svc.cluster_name, {}).values()
            if getattr(task, "status", "RUNNING") != "STOPPED"
        ]
        cluster.running_tasks_count = sum(1 for t in every if t.status == "RUNNING")
        cluster.pending_tasks_count = len(every) - cluster.running_tasks_count


def event(backend: Any, svc: ExpressService, message: str) -> None:
    """Add a service event "(service <name>) <message>", newest first, at most 100 kept."""
    service = backend.services.get(f"{svc.cluster_name}:{svc.name}")
    if service is None:
        return
    item = {"id": str(mock_random.uuid4()), "createdAt": now(), "message": f"(service {svc.name}) {message}"}
    service.events[:0] = [item]
    del service.events[MAX_EVENTS:]


def breaker_threshold(desired: int) -> int:
    """Failed tasks that trip the deployment circuit breaker: half the desired count, at least 3 and
    at most 200 ("How the deployment circuit breaker detects failures", Amazon ECS Developer Guide)."""
    return min(200, max(3, math.ceil(desired * 0.5)))


def failed_start_reason(kind: str, svc: ExpressService, revision: Revision, task_id: str) -> str:
    """The stoppedReason of a task that could not start, as ECS words it."""
    config = revision.config
    image = config.get("primaryContainer", {}).get("image", "")
    if kind == "architecture":
        platform = "linux/arm64" if config.get("cpuArchitecture") == "ARM64" else "linux/amd64"
        return (
            "CannotPullContainerError: pull image manifest has been retried 7 time(s): image Manifest "
            f"does not contain descriptor matching platform '{platform}'"
        )
    if kind == "secrets":
        role = str(config.get("executionRoleArn", "")).rsplit("/", 1)[-1]
        account, region = svc.arn.split(":")[4], svc.arn.split(":")[3]
        secret = next(
            (item.get("valueFrom", "") for item in config.get("primaryContainer", {}).get("secrets") or []),
            f"arn:aws:ssm:{region}:{account}:parameter/missing",
        )
        return (
            "ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve "
            "secrets from ssm: service call has been retried 1 time(s): AccessDeniedException: User: "
            f"arn:aws:sts::{account}:assumed-role/{role}/{task_id} is not authorized to perform: "
            f"ssm:GetParameters on resource: {secret} because no identity-based policy allows the "
            "ssm:GetParameters action"
        )
    return (
        "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve "
        f"ref {image}: {image}: not found"
    )
