"""`expressway status`: every registry service's live state in one table."""

from __future__ import annotations

from typing import Any

from expressway.aws.elbv2 import host_rules
from expressway.deploy.deployer import Deployer
from expressway.plan.desired import VERSION_VAR
from expressway.plan.render import StatusRow
from expressway.plan.steps import active_configuration


def _version(config: dict[str, Any]) -> str | None:
    for item in (config.get("primaryContainer") or {}).get("environment") or []:
        if item.get("name") == VERSION_VAR:
            return str(item.get("value"))
    return None


def rows(deployer: Deployer, head: str) -> list[StatusRow]:
    """One row per service in deploy order; services never deployed show NOT DEPLOYED."""
    found: list[StatusRow] = []
    rule_counts: dict[str, int] = {}
    keys = list(deployer.registry.services)
    observed = {key: deployer.observe(key) for key in keys}
    live = [s["serviceArn"] for s in observed.values() if s is not None]
    tasks = deployer.ecs.services(deployer.names.cluster, live)
    for key in keys:
        service = observed[key]
        name = deployer.names.service(key)
        state = str((service or {}).get("status", {}).get("statusCode", "UNKNOWN"))
        if service is None or state == "INACTIVE":
            # An INACTIVE service is deleted: ECS answers nothing more about it.
            found.append(StatusRow(key, name, "NOT DEPLOYED" if service is None else state, head=head))
            continue
        config = dict(active_configuration(service))
        deployment = (
            deployer.ecs.deployment(service["currentDeployment"])
            if service.get("currentDeployment")
            else None
        )
        balancer = None
        revisions = deployer.ecs.revisions(
            [config["serviceRevisionArn"]] if config.get("serviceRevisionArn") else []
        )
        for revision in revisions:
            for path in (revision.get("ecsManagedResources") or {}).get("ingressPaths") or []:
                balancer = (path.get("loadBalancer") or {}).get("arn") or balancer
        if balancer and balancer not in rule_counts:
            rule_counts[balancer] = host_rules(deployer.environment, balancer)
        ecs_service = tasks.get(service["serviceArn"], {})
        found.append(
            StatusRow(
                service=key,
                name=name,
                state=state,
                url=deployer.url_of(service),
                version=_version(config),
                head=head,
                running=ecs_service.get("runningCount"),
                desired=ecs_service.get("desiredCount"),
                deployment=(deployment or {}).get("status"),
                load_balancer=balancer,
                alb_services=rule_counts.get(balancer or ""),
            )
        )
    return found
