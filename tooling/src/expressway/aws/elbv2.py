"""ELBv2: how many host rules (one per Express service) a shared ALB carries."""

from __future__ import annotations

from expressway.aws.session import client, run
from expressway.registry import Environment


def host_rules(env: Environment, load_balancer_arn: str) -> int:
    """Non-default listener rules on the ALB: Express adds one per service it routes."""
    api = client(env, "elbv2")
    listeners = run("describe listeners", api.describe_listeners, LoadBalancerArn=load_balancer_arn)
    total = 0
    for listener in listeners.get("Listeners", []):
        rules = run("describe rules", api.describe_rules, ListenerArn=listener["ListenerArn"])["Rules"]
        total += sum(1 for rule in rules if not rule.get("IsDefault"))
    return total
