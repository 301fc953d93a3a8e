"""How full the shared ALB is: Express services already in the VPC, against the 25 per ALB."""

from __future__ import annotations

from dataclasses import dataclass

from expressway.aws.ecs import Ecs
from expressway.errors import DeployError
from expressway.registry import Environment

PER_ALB = 25
# On-demand ALB-hour x 730 h (reference/express-mode.md §6); other regions use the higher figure.
_ALB_MONTH = {"us-east-1": 16.43, "eu-west-1": 18.40}
_IPV4_MONTH = 3.65


@dataclass(frozen=True)
class Capacity:
    used: int

    def full(self, places: int = PER_ALB) -> bool:
        """True when every ALB in use is full, so one more service means one more ALB."""
        return self.used > 0 and self.used % places == 0


def count(env: Environment, subnets: tuple[str, ...]) -> Capacity:
    """Express services whose subnets overlap ours (same VPC and access type -> same shared ALB)."""
    ours = set(subnets)
    used = 0
    for service in Ecs(env).express_services():
        config = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        if ours & set(config.get("subnets") or []):
            used += 1
    return Capacity(used)


def second_alb_cost(env: Environment, zones: int) -> float:
    """Monthly cost of one more ALB: its hours, plus a public IPv4 per zone when internet-facing."""
    alb = _ALB_MONTH.get(env.region, max(_ALB_MONTH.values()))
    return alb + (zones * _IPV4_MONTH if env.access == "public" else 0.0)


def refuse_spill(service: str, env: Environment, capacity: Capacity, zones: int, vpc: str) -> None:
    """DeployError when creating `service` would open a new ALB, unless the caller allowed it."""
    cost = second_alb_cost(env, zones)
    raise DeployError(
        f"deploy {service}: {capacity.used} Express services already fill the shared ALB of {vpc}; "
        f"a new one makes Express create another ALB",
        hint=f"that costs about ${cost:.2f}/month more in {env.region}; pass --allow-new-alb to accept",
    )
