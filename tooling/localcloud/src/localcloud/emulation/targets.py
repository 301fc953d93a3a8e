"""Tasks as targets of their revision's target group, with ELBv2 target health states.

moto reports every registered `ip` target `healthy`; an ALB reports `initial` until the health
checks pass, `unhealthy` with a reason when they fail, and `draining` while a deregistered target
finishes its requests ("Target health status", Elastic Load Balancing User Guide). The emulator keeps
each target's state on moto's target group and answers DescribeTargetHealth from it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup, elbv2_backends

_HEALTH = "_expressway_target_health"  # on moto's FakeTargetGroup: target id -> (state, reason, text)
# Reasons and descriptions DescribeTargetHealth gives (ELBv2 API reference, TargetHealth).
REASONS = {
    "initial": ("Elb.RegistrationInProgress", "Target registration is in progress"),
    "draining": ("Target.DeregistrationInProgress", "Target deregistration is in progress"),
}


def _group(account_id: str, region: str, arn: str) -> Any | None:
    return elbv2_backends[account_id][region].target_groups.get(arn)


def register(account_id: str, region: str, arn: str, address: str, port: int, state: str = "initial") -> None:
    """Make `address:port` a target of the group, in `state` ("initial" until checked, or "healthy")."""
    group = _group(account_id, region, arn)
    if group is None:
        return
    group.register([{"Id": address, "Port": port}])
    set_health(account_id, region, arn, address, state)


def deregister(account_id: str, region: str, arn: str, address: str) -> None:
    group = _group(account_id, region, arn)
    if group is None:
        return
    with contextlib.suppress(Exception):  # never registered, or already gone
        group.deregister([{"Id": address}])
    group.__dict__.get(_HEALTH, {}).pop(address, None)


def set_health(
    account_id: str, region: str, arn: str, address: str, state: str, description: str | None = None
) -> None:
    """Record the target's health: "initial", "healthy", "unhealthy" (with a description) or "draining"."""
    group = _group(account_id, region, arn)
    if group is None:
        return
    reason, text = REASONS.get(state, (None, None))
    if state == "unhealthy":
        reason, text = "Target.ResponseCodeMismatch", description or "Health checks failed"
        if description and ("timed out" in description or "refused" in description):
            reason = "Target.Timeout" if "timed out" in description else "Target.FailedHealthChecks"
    group.__dict__.setdefault(_HEALTH, {})[address] = (state, reason, text)


def health_for(original: Callable[..., FakeHealthStatus]) -> Callable[..., FakeHealthStatus]:
    """moto's FakeTargetGroup.health_for, answering from the recorded state where there is one."""

    def health(self: Any, target: dict[str, Any], ec2_backend: Any) -> FakeHealthStatus:
        found = original(self, target, ec2_backend)
        recorded = self.__dict__.get(_HEALTH, {}).get(target["Id"])
        if recorded is None or found.status != "healthy":
            return found
        state, reason, text = recorded
        return FakeHealthStatus(found.instance_id, found.port, found.health_check_port, state, reason, text)

    return health


def install(mark: Callable[[Any], Any], ours: Callable[[Any], bool]) -> None:
    current = FakeTargetGroup.__dict__["health_for"]
    if not ours(current):
        setattr(FakeTargetGroup, "health_for", mark(health_for(current)))  # noqa: B010
