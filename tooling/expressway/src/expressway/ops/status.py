"""`expressway status`: every registry service's live state in one table."""

from __future__ import annotations

from expressway.aws.elbv2 import Elbv2
from expressway.deploy.target import Target
from expressway.plan.render import StatusRow


def rows(target: Target, head: str) -> list[StatusRow]:
    """One row per service in registry order; services never deployed show NOT DEPLOYED."""
    found: list[StatusRow] = []
    rule_counts: dict[str, int] = {}
    elbv2 = Elbv2(target.environment)
    keys = list(target.registry.services)
    observed = {key: target.observe(key, resources=True) for key in keys}
    live = [s.arn for s in observed.values() if s is not None]
    tasks = target.ecs.services(target.names.cluster, live)
    for key in keys:
        service = observed[key]
        name = target.names.service(key)
        if service is None or service.gone:
            # An INACTIVE service is deleted: ECS answers nothing more about it.
            found.append(
                StatusRow(key, name, "NOT DEPLOYED" if service is None else service.status, head=head)
            )
            continue
        deployment = target.ecs.deployment(service.current_deployment) if service.current_deployment else None
        balancer = service.resources.load_balancer if service.resources else None
        if balancer and balancer not in rule_counts:
            rule_counts[balancer] = elbv2.express_rules(balancer)
        ecs_service = tasks.get(service.arn)
        found.append(
            StatusRow(
                service=key,
                name=name,
                state=service.status,
                url=service.url,
                version=service.active.version if service.active else None,
                head=head,
                running=ecs_service.running if ecs_service else None,
                desired=ecs_service.desired if ecs_service else None,
                deployment=deployment.status if deployment else None,
                load_balancer=balancer,
                alb_services=rule_counts.get(balancer or ""),
            )
        )
    return found
