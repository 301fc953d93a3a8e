"""CreateExpressGatewayService, UpdateExpressGatewayService, DescribeExpressGatewayService and
DeleteExpressGatewayService on top of moto's ECS backend (one account and region)."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from moto.moto_api._internal import mock_random

from . import alb, ecs_objects, errors, naming, network, scaling, spec, tasks, views
from .config import current_config
from .faults import faults
from .lifecycle import awsvpc, finish_deployment, now, settle_deployment, settle_service
from .records import Deployment, ExpressService, Revision, store


def _check_roles(backend: Any, arns: list[str]) -> None:
    fired = faults.take_iam_error(arns)
    if fired is not None:
        kind, arn = fired
        raise (errors.access_denied(arn) if kind == "access_denied" else errors.credentials_not_validated())
    for arn in arns:
        if not network.role_exists(backend.account_id, backend.partition, arn):
            raise errors.invalid(f"Unable to assume the role {arn}: the role does not exist.")


def _new_revision(
    backend: Any, svc_name: str, cluster: str, config: dict[str, Any], family: str, tg: str
) -> Revision:
    if config.get("taskDefinitionArn"):
        task_definition = config["taskDefinitionArn"]
    else:
        task_definition = ecs_objects.register_task_definition(backend, family, config, backend.region_name)
    return Revision(
        naming.arn(backend, "service-revision", cluster, svc_name, naming.revision_id()),
        copy.deepcopy(config),  # keeps a caller's own taskDefinitionArn; ours is not in `config`
        task_definition,
        tg,
        now(),
    )


def _new_deployment(
    backend: Any, svc: ExpressService, target: Revision, source: Revision | None, delay: float
) -> Deployment:
    started = now()
    config = current_config()
    ready = started + timedelta(seconds=max(config.deployment_seconds, delay))
    failure = faults.take_deployment_failure(svc.name) if source is not None else None
    failing_tasks = faults.take_task_failure(svc.name)
    return Deployment(
        naming.arn(backend, "service-deployment", svc.cluster_name, svc.name, naming.deployment_id()),
        target,
        source,
        started,
        max(ready, svc.provisioned_at),
        failure,
        ecs_id=naming.revision_id(),
        hidden_lists=config.consistency_reads,
        hidden_describes=config.consistency_reads,
        task_failure=None if failing_tasks is None else f"{failing_tasks[0]}:{failing_tasks[1] or ''}",
    )


def _start(backend: Any, svc: ExpressService, deployment: Deployment) -> None:
    """Record the new deployment; its managed resources fail now when a fault says so."""
    failing = faults.take_resource_failure(svc.name)
    svc.failed_resources = {failing[0]: failing[1]} if failing else {}
    svc.deployments.append(deployment)
    settle_deployment(backend, svc, deployment, read=False)  # no PENDING reads: it starts at once


def _network(backend: Any, config: dict[str, Any], placement: network.Placement, managed_group: str) -> None:
    given = list((config.get("networkConfiguration") or {}).get("securityGroups") or [])
    network.check_security_groups(backend.account_id, backend.region_name, placement.vpc_id, given)
    groups = given + ([managed_group] if managed_group not in given else [])
    config["networkConfiguration"] = {
        "subnets": list(placement.subnet_ids),
        "securityGroups": groups,
    }


def _scale(backend: Any, svc: ExpressService, revision: Revision) -> scaling.Scaling:
    """Auto scaling for `revision`, on the target group it registers in."""
    serving = (svc.ingress.load_balancer_arn, revision.target_group_arn)
    return scaling.apply(
        backend.account_id,
        backend.region_name,
        svc.cluster_name,
        svc.name,
        revision.config,
        serving,
        svc.scaling,
    )


def create(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("infrastructureRoleArn"):
        raise errors.invalid("infrastructureRoleArn must be specified.")
    config = spec.merge_config(None, params)
    name = params.get("serviceName") or naming.generated_name(
        (config.get("primaryContainer") or {}).get("image", "service")
    )
    spec.check_service_name(name)
    tags = spec.check_tags(params.get("tags"))
    cluster = ecs_objects.cluster(backend, params.get("cluster"))
    _check_roles(backend, spec.role_arns(config, params["infrastructureRoleArn"]))
    services = store(backend)
    arn = naming.arn(backend, "service", cluster.name, name)
    existing = services.get(arn)
    if existing is not None:
        settle_service(backend, existing, read=False)
    plain = backend.services.get(f"{cluster.name}:{name}")
    if (existing is not None and existing.status != "INACTIVE") or (
        existing is None and plain is not None and plain.status != "INACTIVE"
    ):
        raise errors.invalid(f"An Express service named {name} already exists in cluster {cluster.name}.")
    if config.get("taskDefinitionArn"):
        ecs_objects.adopt_task_definition(backend, config)
    account, region = backend.account_id, backend.region_name
    placement = network.resolve_placement(
        account, region, (config.get("networkConfiguration") or {}).get("subnets")
    )
    container = config["primaryContainer"]
    if not container.get("awsLogsConfiguration"):
        group = f"/aws/ecs/{cluster.name}/{name}-{mock_random.get_random_hex(4)}"
        container["awsLogsConfiguration"] = {
            "logGroup": group,
            "logStreamPrefix": spec.DEFAULT_LOG_STREAM_PREFIX,
        }
    log_group = container["awsLogsConfiguration"]["logGroup"]
    log_group_arn = network.ensure_log_group(account, region, log_group)
    users: dict[str, int] = {}
    for other in services.values():
        if other.attached:
            users[other.ingress.load_balancer_arn] = users.get(other.ingress.load_balancer_arn, 0) + 1
    port = int(container["containerPort"])
    endpoint = naming.endpoint(backend, name)
    if any(other.attached and other.ingress.endpoint == endpoint for other in services.values()):
        # only local mode can collide: "a_b" and "a-b" both become a-b.localhost
        raise errors.invalid(f"The endpoint {endpoint} is already used by another Express service.")
    ingress = alb.attach(
        account,
        region,
        placement,
        users,
        current_config().services_per_alb,
        endpoint,
        port,
        config["healthCheckPath"],
    )
    service_group = network.create_security_group(
        account,
        region,
        placement.vpc_id,
        f"ecs-express-svc-sg-{mock_random.get_random_hex(8)}",
        f"Service security group for Amazon ECS Express Mode service {name}",
    )
    network.allow_ingress(account, region, service_group, port, ingress.load_balancer_security_group)
    _network(backend, config, placement, service_group)
    revision = _new_revision(
        backend, name, cluster.name, config, f"{cluster.name}-{name}", ingress.target_group_arns[0]
    )
    created = now()
    delay = faults.take_provisioning_delay(name)
    svc = ExpressService(
        arn=arn,
        name=name,
        cluster_name=cluster.name,
        cluster_arn=cluster.arn,
        infrastructure_role_arn=params["infrastructureRoleArn"],
        tags=tags,
        created_at=created,
        provisioned_at=created + timedelta(seconds=max(current_config().provisioning_seconds, delay)),
        ingress=ingress,
        vpc_id=placement.vpc_id,
        access_type=placement.access_type,
        service_security_group=service_group,
        log_group=log_group,
        log_group_arn=log_group_arn,
        serving=revision,
        updated_at=created,
        revisions=[revision],
    )
    load_balancer = {
        "targetGroupArn": ingress.target_group_arns[0],
        "containerName": ecs_objects.CONTAINER,
        "containerPort": port,
        "advancedConfiguration": {
            "alternateTargetGroupArn": ingress.target_group_arns[1],
            "productionListenerRule": ingress.rule_arn,
            "roleArn": svc.infrastructure_role_arn,
        },
    }
    ecs_objects.create_service(
        backend,
        cluster.name,
        name,
        revision.task_definition_arn,
        config["scalingTarget"]["minTaskCount"],
        load_balancer,
        awsvpc(svc, revision),
        copy.deepcopy(tags),
    )
    svc.scaling = _scale(backend, svc, revision)
    services[arn] = svc
    _start(backend, svc, _new_deployment(backend, svc, revision, None, delay))
    return views.express_service(svc, tags=False, deployment=False)


def find(backend: Any, arn: str, *, describe: bool = False) -> ExpressService:
    """The service with this ARN; unknown -> ResourceNotFound (Describe) or ServiceNotFound."""
    svc = store(backend).get(arn)
    if svc is None:
        parts = arn.split("/")
        if len(parts) >= 3 and parts[-2] not in backend.clusters:
            raise errors.cluster_not_found()
        raise errors.resource_not_found(arn) if describe else errors.service_not_found()
    return svc


def describe(backend: Any, arn: str, include: list[str] | None) -> dict[str, Any]:
    svc = find(backend, arn, describe=True)
    settle_service(backend, svc, read=True)
    return views.express_service(svc, tags="TAGS" in (include or []))


def _active(backend: Any, arn: str) -> ExpressService:
    svc = find(backend, arn)
    settle_service(backend, svc, read=False)
    if svc.status != "ACTIVE":
        raise errors.service_not_active(svc.status)
    return svc


def update(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    svc = _active(backend, params["serviceArn"])
    config = spec.merge_config(svc.serving.config, params)
    _check_roles(backend, spec.role_arns(config))
    if params.get("taskDefinitionArn"):
        ecs_objects.adopt_task_definition(backend, config)
    account, region = backend.account_id, backend.region_name
    subnets = (params.get("networkConfiguration") or {}).get("subnets")
    placement = network.resolve_placement(
        account, region, subnets or svc.serving.config["networkConfiguration"]["subnets"]
    )
    if placement.vpc_id != svc.vpc_id or placement.access_type != svc.access_type:
        raise errors.invalid(
            f"The subnets must stay in VPC {svc.vpc_id} and be {svc.access_type.lower()}: "
            "an Express service cannot move to another load balancer."
        )
    if params.get("networkConfiguration", {}).get("securityGroups") is None:
        config["networkConfiguration"]["securityGroups"] = list(
            svc.serving.config["networkConfiguration"]["securityGroups"]
        )
    _network(backend, config, placement, svc.service_security_group)
    container = config["primaryContainer"]
    container.setdefault(
        "awsLogsConfiguration",
        copy.deepcopy(svc.serving.config["primaryContainer"]["awsLogsConfiguration"]),
    )
    network.ensure_log_group(account, region, container["awsLogsConfiguration"]["logGroup"])
    previous = svc.latest
    finish_deployment(backend, svc, previous, superseded=True)  # a new update supersedes it
    standby = next(arn for arn in svc.ingress.target_group_arns if arn != svc.serving.target_group_arn)
    revision = _new_revision(
        backend, svc.name, svc.cluster_name, config, f"{svc.cluster_name}-{svc.name}", standby
    )
    service = backend.services[f"{svc.cluster_name}:{svc.name}"]
    ecs_objects.set_running(
        backend, service, config["scalingTarget"]["minTaskCount"], revision.task_definition_arn
    )
    ecs_objects.set_network(service, awsvpc(svc, revision))
    alb.set_health_check_path(account, region, svc.ingress, config["healthCheckPath"])
    svc.revisions.append(revision)
    svc.scaling = _scale(backend, svc, revision)
    svc.updated_at = now()
    _start(backend, svc, _new_deployment(backend, svc, revision, svc.serving, 0.0))
    return views.updated_service(svc, revision)


def delete(backend: Any, arn: str) -> dict[str, Any]:
    svc = _active(backend, arn)
    latest = svc.latest
    if latest.running:
        latest.status, latest.finished_at = "STOPPED", now()
        latest.failure = latest.failure or "The service was deleted."
    others = [
        o
        for o in store(backend).values()
        if o is not svc and o.attached and o.ingress.load_balancer_arn == svc.ingress.load_balancer_arn
    ]
    account, region = backend.account_id, backend.region_name
    network.delete_security_group(account, region, svc.service_security_group)
    alb.detach(account, region, svc.ingress, last_user=not others)
    svc.attached = False
    if svc.scaling is not None:
        scaling.remove(account, region, svc.scaling)
        svc.scaling = None
    everything = tasks.of_service(backend, svc)
    for task in everything:
        task.registered = False  # the target groups went with the rule
    tasks.stop_all(backend, svc, everything, "Scaling activity initiated by the service's deletion.")
    ecs_objects.drain(backend, backend.services[f"{svc.cluster_name}:{svc.name}"])
    svc.status, svc.draining_since = "DRAINING", now()
    svc.updated_at = svc.draining_since
    return views.express_service(svc, tags=False)
