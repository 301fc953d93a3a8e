"""Time and reads move Express services and deployments through their states, lazily: each
transition happens when a read finds its delay elapsed and its `settle_reads` reads spent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from . import alb, ecs_objects, scaling
from .config import current_config
from .records import Deployment, ExpressService, Revision, elapsed


def now() -> datetime:
    return datetime.now(UTC)


def settle_deployment(backend: Any, svc: ExpressService, dep: Deployment, *, read: bool) -> None:
    """Finish `dep` once it has been seen IN_PROGRESS often enough and long enough."""
    if dep.status != "IN_PROGRESS":
        return
    if read:
        dep.reads += 1
    if dep.reads > current_config().settle_reads and now() >= dep.ready_at:
        finish_deployment(backend, svc, dep)


def finish_deployment(backend: Any, svc: ExpressService, dep: Deployment) -> None:
    """SUCCESSFUL: the target serves. A failing one is ROLLBACK_SUCCESSFUL: the source serves
    again and the ECS service and target groups go back to the source's settings."""
    if dep.status != "IN_PROGRESS":
        return
    dep.finished_at = now()
    account, region = backend.account_id, backend.region_name
    if dep.failure is not None and dep.source is not None:
        dep.status = "ROLLBACK_SUCCESSFUL"
        restore = dep.source
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
        return
    dep.status = "SUCCESSFUL"
    svc.serving = dep.target
    alb.route_to(account, region, svc.ingress, dep.target.target_group_arn)
    service = backend.services.get(f"{svc.cluster_name}:{svc.name}")
    if service is not None and service.load_balancers:
        # the ECS service's primary target group follows the blue/green flip
        standby = next(arn for arn in svc.ingress.target_group_arns if arn != dep.target.target_group_arn)
        service.load_balancers[0]["targetGroupArn"] = dep.target.target_group_arn
        service.load_balancers[0].get("advancedConfiguration", {})["alternateTargetGroupArn"] = standby


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
