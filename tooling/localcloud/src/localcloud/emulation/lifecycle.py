"""Time and reads move Express services and deployments through their states, lazily: each
transition happens when a read finds its delay elapsed and its `settle_reads` reads spent.

A deployment is PENDING, then IN_PROGRESS (its target revision's tasks start), then SUCCESSFUL
(traffic moves to the target revision, the source's tasks stop) or, when it failed, ROLLBACK_SUCCESSFUL
(the source keeps serving) or STOPPED (a first deployment has nothing to roll back to).
"""

from __future__ import annotations

from typing import Any

from . import alb, ecs_objects, scaling, targets, tasks
from .config import current_config
from .records import Deployment, ExpressService, Revision, elapsed, now

__all__ = ["now"]


def settle_deployment(backend: Any, svc: ExpressService, dep: Deployment, *, read: bool) -> None:
    """Move `dep` on once it has been seen in its state often enough and long enough."""
    config = current_config()
    if dep.status == "PENDING":
        if read:
            dep.pending_reads += 1
        if config.pending_reads and dep.pending_reads <= config.pending_reads:
            return
        begin_deployment(backend, svc, dep)
        if read and config.pending_reads:
            dep.reads += 1  # this read reports IN_PROGRESS
        return
    if dep.status != "IN_PROGRESS":
        return
    if read:
        dep.reads += 1
    if svc.failed_resources:
        return  # a managed resource failed: Express keeps trying, the deployment never ends
    if config.tasks == "agent":
        if dep.failure is not None or _healthy(backend, svc, dep.target):
            finish_deployment(backend, svc, dep)
        return
    if dep.reads > config.settle_reads and now() >= dep.ready_at:
        finish_deployment(backend, svc, dep)


def _healthy(backend: Any, svc: ExpressService, revision: Revision) -> bool:
    """Every wanted task of `revision` runs and passed its health check."""
    wanted = revision.config["scalingTarget"]["minTaskCount"]
    ready = [
        t
        for t in tasks.live(backend, svc, revision)
        if t.status == "RUNNING" and t.health_status == "HEALTHY"
    ]
    return len(ready) >= wanted and now() >= svc.provisioned_at


def begin_deployment(backend: Any, svc: ExpressService, dep: Deployment) -> None:
    """IN_PROGRESS: start the target revision's tasks (the agent runs them, or they run at once)."""
    dep.status, dep.started_at = "IN_PROGRESS", now()
    wanted = dep.target.config["scalingTarget"]["minTaskCount"]
    if dep.task_failure is not None:
        _fail_starts(backend, svc, dep, wanted)
        return
    started = tasks.start(backend, svc, dep.target, wanted, dep.ecs_id)
    if current_config().tasks == "agent":
        return  # PROVISIONING until the agent claims them
    account, region = backend.account_id, backend.region_name
    for task in started:
        tasks.running(backend, svc, task)
        task.health_status = "HEALTHY"
    for task in started:
        targets.register(account, region, dep.target.target_group_arn, task.address, task.port, "healthy")
        task.registered = True
    if started:
        group = dep.target.target_group_arn
        tasks.event(backend, svc, f"registered {len(started)} targets in (target-group {group})")


def _fail_starts(backend: Any, svc: ExpressService, dep: Deployment, wanted: int) -> None:
    """A fault: every task the deployment starts stops before it runs, until the breaker trips."""
    assert dep.task_failure is not None
    kind, given = dep.task_failure.split(":", 1)
    count = tasks.breaker_threshold(wanted)
    reason = ""
    for task in tasks.start(backend, svc, dep.target, count, dep.ecs_id):
        reason = given or tasks.failed_start_reason(kind, svc, dep.target, task.id_)
        tasks.stop(backend, svc, task, reason, "TaskFailedToStart")
    dep.failed_tasks = count
    dep.failure = f"{count} tasks failed to start: {reason}"
    tasks.event(backend, svc, f"deployment ecs-svc/{dep.ecs_id} deployment failed: tasks failed to start.")


def record_failed_task(backend: Any, svc: ExpressService, dep: Deployment, reason: str) -> None:
    """A task of the deployment's target revision stopped before it served; trip the breaker at its
    threshold (the deployment then rolls back)."""
    dep.failed_tasks += 1
    threshold = tasks.breaker_threshold(dep.target.config["scalingTarget"]["minTaskCount"])
    if dep.failure is None and dep.failed_tasks >= threshold:
        dep.failure = (
            f"the deployment circuit breaker tripped after {dep.failed_tasks} failed tasks: {reason}"
        )
        tasks.event(
            backend, svc, f"deployment ecs-svc/{dep.ecs_id} deployment failed: tasks failed to start."
        )


def finish_deployment(
    backend: Any, svc: ExpressService, dep: Deployment, *, superseded: bool = False
) -> None:
    """SUCCESSFUL: the target serves. A failed one is ROLLBACK_SUCCESSFUL (the source serves again and
    the ECS service and target groups go back to the source's settings) or STOPPED (no source)."""
    if not dep.running:
        return
    dep.finished_at = now()
    if dep.status == "PENDING":
        dep.started_at = dep.finished_at
    failed = dep.failure is not None or bool(svc.failed_resources)
    if superseded and (failed or current_config().tasks == "agent"):
        dep.status, dep.failure = "STOPPED", dep.failure or "A newer deployment of the service started."
        _retire(backend, svc, dep.target, "Scaling activity initiated by a newer deployment.")
        return
    if dep.failure is not None:
        _retire(backend, svc, dep.target, f"Scaling activity initiated by (deployment ecs-svc/{dep.ecs_id})")
        if dep.source is None:
            dep.status = "STOPPED"
            return
        dep.status = "ROLLBACK_SUCCESSFUL"
        tasks.event(backend, svc, f"rolling back to the deployment of revision {_short(dep.source)}.")
        _restore(backend, svc, dep.source)
        return
    dep.status = "SUCCESSFUL"
    svc.serving = dep.target
    account, region = backend.account_id, backend.region_name
    alb.route_to(account, region, svc.ingress, dep.target.target_group_arn)
    service = backend.services.get(f"{svc.cluster_name}:{svc.name}")
    if service is not None and service.load_balancers:
        # the ECS service's primary target group follows the blue/green flip
        standby = next(arn for arn in svc.ingress.target_group_arns if arn != dep.target.target_group_arn)
        service.load_balancers[0]["targetGroupArn"] = dep.target.target_group_arn
        service.load_balancers[0].get("advancedConfiguration", {})["alternateTargetGroupArn"] = standby
    others = [t for t in tasks.live(backend, svc) if t.revision_arn != dep.target.arn]
    deregister(backend, others)
    if current_config().tasks != "agent":
        tasks.stop_all(
            backend, svc, others, f"Scaling activity initiated by (deployment ecs-svc/{dep.ecs_id})"
        )
    else:
        for task in others:  # the agent stops them once they have drained
            task.desired_status = "STOPPED"
            task.stopping_at = now()
            task.stopped_reason = f"Scaling activity initiated by (deployment ecs-svc/{dep.ecs_id})"
    tasks.event(backend, svc, f"deployment ecs-svc/{dep.ecs_id} deployment completed.")
    tasks.event(backend, svc, "has reached a steady state.")


def _retire(backend: Any, svc: ExpressService, revision: Revision, reason: str) -> None:
    """Stop the tasks of a revision that will not serve."""
    mine = tasks.live(backend, svc, revision)
    deregister(backend, mine)
    tasks.stop_all(backend, svc, mine, reason)


def deregister(backend: Any, retired: list[tasks.ExpressTask]) -> None:
    """Take the tasks out of their target groups (draining, then gone)."""
    for task in retired:
        if task.registered:
            targets.set_health(
                backend.account_id, backend.region_name, task.target_group_arn, task.address, "draining"
            )
            targets.deregister(backend.account_id, backend.region_name, task.target_group_arn, task.address)
            task.registered = False


def _restore(backend: Any, svc: ExpressService, restore: Revision) -> None:
    account, region = backend.account_id, backend.region_name
    service = backend.services[f"{svc.cluster_name}:{svc.name}"]
    desired = restore.config["scalingTarget"]["minTaskCount"]
    ecs_objects.set_running(backend, service, desired, restore.task_definition_arn)
    ecs_objects.set_network(service, awsvpc(svc, restore))
    alb.set_health_check_path(account, region, svc.ingress, restore.config["healthCheckPath"])
    if svc.scaling is not None:
        svc.scaling = scaling.apply(
            account,
            region,
            svc.cluster_name,
            svc.name,
            restore.config,
            (svc.ingress.load_balancer_arn, restore.target_group_arn),
            svc.scaling,
        )


def _short(revision: Revision) -> str:
    return revision.arn.rsplit("/", 1)[-1]


def settle_service(backend: Any, svc: ExpressService, *, read: bool) -> None:
    """Settle the latest deployment; turn DRAINING into INACTIVE when its time has come."""
    if svc.deployments:
        settle_deployment(backend, svc, svc.latest, read=read)
    if svc.status != "DRAINING" or svc.draining_since is None:
        return
    if read:
        svc.drain_reads += 1
    config = current_config()
    if svc.drain_reads > config.settle_reads and elapsed(svc.draining_since, config.draining_seconds, now()):
        svc.status = "INACTIVE"
        service = backend.services.get(f"{svc.cluster_name}:{svc.name}")
        if service is not None and service.status == "DRAINING":
            ecs_objects.retire(backend, service)


def resource_status(svc: ExpressService) -> str:
    """The status of the service's managed resources (ManagedResourceStatus)."""
    if svc.status == "INACTIVE":
        return "DELETED"
    if svc.status == "DRAINING":
        return "DEPROVISIONING"
    return "ACTIVE" if now() >= svc.provisioned_at else "PROVISIONING"


def awsvpc(svc: ExpressService, rev: Revision) -> dict[str, Any]:
    """The ECS awsvpcConfiguration for a revision of the service."""
    network = rev.config["networkConfiguration"]
    return {
        "subnets": list(network["subnets"]),
        "securityGroups": list(network["securityGroups"]),
        "assignPublicIp": "ENABLED" if svc.access_type == "PUBLIC" else "DISABLED",
    }
