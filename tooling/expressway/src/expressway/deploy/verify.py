"""Proving the new revision serves: its health path over HTTP with the version it reports, or, for a
private endpoint that no laptop or CI runner can reach, the health of its load balancer targets.

With private subnets Express builds an internal ALB (docs/aws-facts.md, section 3): its URL answers
only inside the VPC. ELBv2 DescribeTargetHealth is readable from anywhere with credentials, so a
private deploy waits for healthy targets instead, and says that the version was not read.
"""

from __future__ import annotations

from collections.abc import Callable

from expressway.aws.elbv2 import Elbv2
from expressway.deploy.target import Target
from expressway.deploy.waiting import Clock, Deadline, Prober
from expressway.errors import DeployError
from expressway.plan.live import LiveService


def verify(
    target: Target,
    prober: Prober,
    key: str,
    observed: LiveService | None,
    version: str,
    say: Callable[[str], None],
    *,
    enabled: bool,
    timeout: float,
    poll: float,
    clock: Clock,
) -> str:
    """The service's URL once its new revision is shown to serve; DeployError when it is not."""
    url = observed.url if observed else None
    if url is None:
        raise DeployError(f"deploy {key}: the service reports no endpoint", hint="run `expressway status`")
    if not enabled:
        say(f"{key}: health check SKIPPED (--no-verify): not checked that {url} serves {version}")
        return url
    if target.environment.access == "private":
        healthy = _healthy_targets(target, key, timeout=timeout, poll=poll, clock=clock)
        say(
            f"{key}: private endpoint {url}: {healthy} healthy target(s) behind the internal ALB; "
            "the version it serves cannot be read from outside the VPC"
        )
        return url
    health = (observed.active.health_path if observed and observed.active else None) or "/health"
    answer = prober.verify(f"{url}{health}", version, timeout)
    say(f"{key}: {url}{health} answered {answer}")
    return url


def _healthy_targets(target: Target, key: str, *, timeout: float, poll: float, clock: Clock) -> int:
    """Wait until the service's target groups hold a healthy target; how many there are."""
    deadline = Deadline(timeout, clock)
    elbv2 = Elbv2(target.environment)
    seen = "no target group reported yet"
    while True:
        live = target.observe(key, resources=True)
        groups = live.resources.target_groups if live and live.resources else ()
        states = [
            str(t.get("TargetHealth", {}).get("State"))
            for group in groups
            for t in elbv2.target_health(group)
        ]
        healthy = states.count("healthy")
        if healthy:
            return healthy
        if groups:
            seen = f"targets {', '.join(states) or 'none registered'}"
        if deadline.passed:
            raise DeployError(
                f"verify {key}: no healthy target behind the internal load balancer: {seen}",
                hint="the deployment succeeded but no task passes the ALB's health check; "
                "see `expressway logs` and the service's events, or pass --no-verify",
            )
        clock.sleep(poll)
