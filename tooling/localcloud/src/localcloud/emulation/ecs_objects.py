"""The plain ECS objects behind an Express service: cluster, task definition and ECS service."""

from __future__ import annotations

from typing import Any

from .errors import cluster_not_found, invalid
from .spec import check_task_size

CONTAINER = "Main"


def cluster(backend: Any, name_or_arn: str | None) -> Any:
    """The cluster; a missing `default` one is created (as Express Mode does), others raise."""
    name = (name_or_arn or "default").split("/")[-1]
    if name in backend.clusters:
        return backend.clusters[name]
    if name != "default":
        raise cluster_not_found()
    return backend.create_cluster(
        "default",
        capacity_providers=["FARGATE"],
        default_capacity_provider_strategy=[{"capacityProvider": "FARGATE", "weight": 1, "base": 1}],
    )


def register_task_definition(backend: Any, family: str, config: dict[str, Any], region: str) -> str:
    """A new revision of the service's task definition, built from its Express configuration."""
    container = config["primaryContainer"]
    logs = container["awsLogsConfiguration"]
    definition: dict[str, Any] = {
        "name": CONTAINER,
        "image": container["image"],
        "essential": True,
        "portMappings": [
            {
                "containerPort": container["containerPort"],
                "hostPort": container["containerPort"],
                "protocol": "tcp",
                "name": f"{CONTAINER.lower()}-{container['containerPort']}",
            }
        ],
        "environment": list(container.get("environment") or []),
        "secrets": list(container.get("secrets") or []),
        "linuxParameters": {"initProcessEnabled": True},
        "stopTimeout": 30,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": logs["logGroup"],
                "awslogs-region": region,
                "awslogs-stream-prefix": logs["logStreamPrefix"],
                "mode": "non-blocking",
                "max-buffer-size": "25m",
            },
        },
    }
    if container.get("command"):
        definition["command"] = list(container["command"])
    if container.get("repositoryCredentials"):
        definition["repositoryCredentials"] = dict(container["repositoryCredentials"])
    task_definition = backend.register_task_definition(
        family=family,
        container_definitions=[definition],
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        cpu=config["cpu"],
        memory=config["memory"],
        task_role_arn=config.get("taskRoleArn"),
        execution_role_arn=config["executionRoleArn"],
        runtime_platform={
            "cpuArchitecture": config["cpuArchitecture"],
            "operatingSystemFamily": "LINUX",
        },
    )
    return str(task_definition.arn)


def adopt_task_definition(backend: Any, config: dict[str, Any]) -> None:
    """Check a caller's own task definition (container `Main`, one named TCP port, FARGATE)
    and copy its size and port into the configuration."""
    try:
        task_definition = backend.describe_task_definition(config["taskDefinitionArn"])
    except Exception:  # moto's TaskDefinitionNotFoundException
        raise invalid(f"Unable to describe task definition {config['taskDefinitionArn']}.") from None
    mains = [c for c in task_definition.container_definitions if c.get("name") == CONTAINER]
    ports = mains[0].get("portMappings") or [] if mains else []
    if not mains or len(ports) != 1 or not ports[0].get("name"):
        raise invalid(
            "The task definition must have a container named 'Main' with exactly one port "
            "mapping that has a containerPort and a name."
        )
    if "FARGATE" not in (task_definition.requires_compatibilities or []):
        raise invalid("The task definition must be compatible with FARGATE.")
    config["cpu"], config["memory"] = check_task_size(str(task_definition.cpu), str(task_definition.memory))
    config["primaryContainer"] = {
        "image": mains[0].get("image", ""),
        "containerPort": int(ports[0]["containerPort"]),
    }


def create_service(
    backend: Any,
    cluster_name: str,
    name: str,
    task_definition_arn: str,
    desired: int,
    load_balancer: dict[str, Any],
    network: dict[str, Any],
    tags: list[dict[str, str]],
) -> Any:
    """The ECS service, marked as managed by Express Mode; its running count follows its tasks."""
    service = backend.create_service(
        cluster_name,
        name,
        desired,
        task_definition_str=task_definition_arn,
        load_balancers=[load_balancer],
        tags=tags,
        launch_type="FARGATE",
        platform_version="LATEST",
        propagate_tags="SERVICE",
        network_configuration={"awsvpcConfiguration": network},
    )
    service.resource_management_type = "ECS"
    service.enable_ecs_managed_tags = True
    service.health_check_grace_period_seconds = 300
    service.capacity_provider_strategy = [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]
    service.launch_type = None  # Express services run through the FARGATE capacity provider
    service.running_count = service.pending_count = 0
    set_running(backend, service, desired, task_definition_arn)
    return service


def set_running(_backend: Any, service: Any, desired: int, task_definition_arn: str) -> None:
    """Point the service at a task definition with `desired` tasks (its running and pending counts
    follow its tasks: tasks.refresh_counts)."""
    service.task_definition = task_definition_arn
    service.desired_count = desired
    for deployment in service.deployments:
        deployment.update(
            desiredCount=desired,
            rolloutState="COMPLETED",
            rolloutStateReason=f"ECS deployment {deployment['id']} completed.",
            taskDefinition=task_definition_arn,
            launchType="FARGATE",
        )


def set_network(service: Any, network: dict[str, Any]) -> None:
    service.network_configuration = {"awsvpcConfiguration": network}
    for deployment in service.deployments:
        deployment["networkConfiguration"] = service.network_configuration


def drain(backend: Any, service: Any) -> None:
    """DeleteExpressGatewayService starts draining: no tasks wanted any more."""
    set_running(backend, service, 0, service.task_definition)
    service.status = "DRAINING"


def retire(backend: Any, service: Any) -> None:
    """Drained: moto's own delete marks the ECS service INACTIVE."""
    backend.delete_service(service.cluster_name, service.name, force=True)
