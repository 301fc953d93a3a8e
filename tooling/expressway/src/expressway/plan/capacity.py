"""How full the shared ALB is: Express puts up to 25 services of one VPC on one load balancer (pure).

"Up to 25 Express Mode services in the same VPC can share an Application Load Balancer" (Amazon ECS
developer guide, "Resources created by Amazon ECS Express Mode services"); the 26th makes Express
create another, billed ALB.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from expressway.errors import DeployError
from expressway.plan.pricing import Prices
from expressway.plan.steps import AlbSlots, Step
from expressway.registry import Environment, Registry, resolve

PER_ALB = 25


@dataclass(frozen=True)
class Capacity:
    used: int

    def full(self, places: int = PER_ALB) -> bool:
        """True when every ALB in use is full, so one more service means one more ALB."""
        return self.used > 0 and self.used % places == 0


def fleet_vcpus(registry: Registry, env: str) -> float:
    """vCPUs the whole fleet of `env` can hold at once: every service at `scaling.max` tasks, twice
    over while a deployment runs old and new tasks side by side (Express's canary; aws-facts.md)."""
    return 2 * sum(
        resolve(registry, key, env).cpu / 1024 * resolve(registry, key, env).scaling.max
        for key in registry.services
    )


def quota_warning(registry: Registry, env: str, quota: float | None) -> str | None:
    """A warning when the fleet at its maximum could exceed the account's Fargate vCPU quota."""
    needed = fleet_vcpus(registry, env)
    if quota is None or needed <= quota:
        return None
    return (
        f"warning: at their scaling maximum, during a deployment, the services of {env} could run "
        f"{needed:g} Fargate vCPUs; the account's quota in {registry.environment(env).region} is "
        f"{quota:g}: tasks beyond it will not start (raise it in Service Quotas: "
        "Fargate On-Demand vCPU resource count)"
    )


def alb_month(prices: Prices, zones: int, public: bool) -> float:
    """Monthly cost of one ALB: its hours, plus a public IPv4 per zone when internet-facing."""
    return prices.per_month(prices.alb_hour) + (zones * prices.per_month(prices.ipv4_hour) if public else 0.0)


def spill_hint(env: Environment, zones: int, prices: Prices) -> str:
    cost = alb_month(prices, zones, env.access == "public")
    return f"that costs about ${cost:.2f}/month more in {env.region}; pass --allow-new-alb to accept"


def place_creates(
    steps: tuple[Step, ...], used: int, *, places: int, allow_new_alb: bool, hint: str
) -> tuple[tuple[Step, ...], AlbSlots]:
    """The plan's steps with each create that would open another ALB blocked (unless allowed), and
    the ALB's places before and after: what `deploy` will refuse, `plan` says first."""
    placed = used
    out: list[Step] = []
    for step in steps:
        if step.action == "create":
            if Capacity(placed).full(places) and not allow_new_alb:
                step = dataclasses.replace(
                    step,
                    action="blocked",
                    reason=f"{placed} Express services already fill the shared ALB; this create would "
                    "make Express open another one",
                    hint=hint,
                )
            else:
                placed += 1
        out.append(step)
    return tuple(out), AlbSlots(used, placed, places)


def refuse_spill(
    service: str, env: Environment, capacity: Capacity, zones: int, vpc: str, prices: Prices
) -> None:
    """DeployError when creating `service` would open a new ALB, unless the caller allowed it."""
    raise DeployError(
        f"deploy {service}: {capacity.used} Express services already fill the shared ALB of {vpc}; "
        f"a new one makes Express create another ALB",
        hint=spill_hint(env, zones, prices),
    )
