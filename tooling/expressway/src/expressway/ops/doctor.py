"""`expressway doctor --env ENV`: what a first deploy needs, checked before it runs. Each check says
`ok`, `FAIL: why` (with a hint), or `skip` when it cannot be checked from here; exit 1 on any FAIL.

What a deploy creates by itself (repositories, service-linked roles, tables, roles) is not a failure
when missing: the check says the first deploy creates it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

from expressway.aws.ecr import Ecr
from expressway.aws.ecs import Ecs
from expressway.aws.iam import Iam
from expressway.aws.servicequotas import ServiceQuotas
from expressway.aws.ssm import Ssm
from expressway.deploy.prerequisites import boundary_problem
from expressway.deploy.target import Target
from expressway.errors import AwsError, DeployError, ExpresswayError
from expressway.plan import capacity
from expressway.plan.arns import Arns
from expressway.plan.deployer_policy import SERVICE_LINKED, deployer_policy, simulations
from expressway.registry import resolve

Outcome = Literal["ok", "FAIL", "skip"]


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    detail: str
    hint: str | None = None


def _run(name: str, check: Callable[[], tuple[Outcome, str, str | None]]) -> Check:
    """Run one check; an error from AWS or expressway is that check's FAIL, never the command's."""
    try:
        outcome, detail, hint = check()
    except ExpresswayError as exc:
        return Check(name, "FAIL", exc.message.splitlines()[0], exc.hint)
    return Check(name, outcome, detail, hint)


def doctor(target: Target) -> list[Check]:
    """Every check, in the order a deploy meets what they check. Later checks need the caller's
    identity, so without it they are skipped."""
    found = [_run("credentials", lambda: _credentials(target))]
    if found[0].outcome == "FAIL":
        return [*found, *(Check(name, "skip", "needs AWS credentials") for name in _NAMES[1:])]
    arns = target.arns()
    return [
        *found,
        _run("express mode", lambda: _express(target)),
        _run("network", lambda: _network(target)),
        _run("service-linked roles", lambda: _linked(target)),
        _run("permissions", lambda: _permissions(target, arns)),
        _run("permissions boundary", lambda: _boundary(target, arns)),
        _run("secrets", lambda: _secrets(target)),
        _run("repositories", lambda: _repositories(target)),
        _run("fargate quota", lambda: _quota(target)),
        _run("shared alb", lambda: _alb(target)),
    ]


_NAMES = ("credentials", "express mode", "network", "service-linked roles", "permissions",
          "permissions boundary", "secrets", "repositories", "fargate quota", "shared alb")  # fmt: skip


def _credentials(target: Target) -> tuple[Outcome, str, str | None]:
    who = target.identity()
    return "ok", f"{who.arn} (account {who.account}, partition {who.partition})", None


def _express(target: Target) -> tuple[Outcome, str, str | None]:
    """Express answers in the region: describing a service that does not exist is a plain not-found."""
    region = target.environment.region
    Ecs(target.environment).describe(target.arns().ecs_service(target.names.cluster, "expressway-doctor"))
    return "ok", f"the ECS Express Mode API answers in {region}", None


def _network(target: Target) -> tuple[Outcome, str, str | None]:
    net = target.network()
    access = target.environment.access
    zones = f"{len(net.zones)} zones ({', '.join(net.zones)})"
    return "ok", f"{net.vpc}: {len(net.subnets)} {access} subnets in {zones}", None


def _linked(target: Target) -> tuple[Outcome, str, str | None]:
    missing = [
        service for service in SERVICE_LINKED if not Iam(target.environment).service_linked_role(service)
    ]
    if not missing:
        return "ok", "the ECS, Elastic Load Balancing and ECS autoscaling service-linked roles exist", None
    return "ok", f"missing for {', '.join(missing)}: the first deploy creates them", None


def _permissions(target: Target, arns: Arns) -> tuple[Outcome, str, str | None]:
    """The caller against `expressway policy`, by IAM's policy simulator where the caller may use it."""
    policy = deployer_policy(target.registry, target.env, arns)
    checks = simulations(policy)
    actions = {a for listed, _, _ in checks for a in listed}
    denied = Iam(target.environment).denied_actions(target.identity().arn, checks)
    if denied is None:
        return "skip", "not checked: the IAM policy simulator is not available to this identity", None
    if denied:
        shown = ", ".join(denied[:6]) + (f" and {len(denied) - 6} more" if len(denied) > 6 else "")
        hint = f"attach the policy `expressway policy --env {target.env}` prints to the deploying identity"
        return "FAIL", f"not allowed: {shown}", hint
    return "ok", f"all {len(actions)} actions of `expressway policy` are allowed", None


def _boundary(target: Target, arns: Arns) -> tuple[Outcome, str, str | None]:
    """The boundary every execution and task role is made with: an administrator's one-time step."""
    problem = boundary_problem(Iam(target.environment), target.registry, target.env, arns)
    if problem is not None:
        return "FAIL", problem[1], problem[2]
    return "ok", f"{target.names.boundary_policy} says what services.toml needs", None


def _secrets(target: Target) -> tuple[Outcome, str, str | None]:
    wanted = {
        f"{key}.{var}": ref.removeprefix("ssm:")
        for key in target.registry.services
        for var, ref in resolve(target.registry, key, target.env).secrets.items()
        if ref.startswith("ssm:")
    }
    if not wanted:
        return "ok", "no SSM parameters declared", None
    Ssm(target.environment).check_parameters(wanted)
    return "ok", f"{len(wanted)} SSM parameter(s) exist", None


def _repositories(target: Target) -> tuple[Outcome, str, str | None]:
    if target.local:
        return "skip", "the local cloud runs services from source: no repositories", None
    ecr = Ecr(target.environment)
    missing = []
    for key in target.registry.services:
        try:
            ecr.repository_uri(target.names.repository(key))
        except AwsError as exc:
            if exc.code != "RepositoryNotFoundException":
                raise
            missing.append(target.names.repository(key))
    if missing:
        return "ok", f"{', '.join(missing)} will be created by the first deploy", None
    return "ok", f"{len(target.registry.services)} repositories exist", None


def _quota(target: Target) -> tuple[Outcome, str, str | None]:
    quota = ServiceQuotas(target.environment).fargate_vcpus()
    needed = capacity.fleet_vcpus(target.registry, target.env)
    if quota is None:
        return (
            "skip",
            f"not checked: the Fargate vCPU quota cannot be read (the fleet needs up to {needed:g})",
            None,
        )
    warning = capacity.quota_warning(target.registry, target.env, quota)
    if warning:
        return (
            "FAIL",
            f"the fleet needs up to {needed:g} vCPUs; the quota is {quota:g}",
            ("ask for more in Service Quotas (Fargate On-Demand vCPU resource count), or lower scaling.max"),
        )
    return "ok", f"the fleet needs up to {needed:g} of {quota:g} vCPUs", None


def _alb(target: Target) -> tuple[Outcome, str, str | None]:
    used = target.services_on_alb()
    deployed = sum(1 for key in target.registry.services if (live := target.observe(key)) and not live.gone)
    new = len(target.registry.services) - deployed
    places = capacity.PER_ALB
    placed = used
    for _ in range(new):
        if capacity.Capacity(placed).full(places):
            raise DeployError(
                f"{used} Express services use the shared ALB; the {new} services not deployed yet need "
                "another ALB",
                hint="`expressway plan --all` shows which; deploy with --allow-new-alb to accept the cost",
            )
        placed += 1
    return "ok", f"{used} of {places} places used; the {new} services not deployed yet fit", None


def report_text(env: str, checks: list[Check]) -> str:
    lines = [f"Checks for environment {env}:"]
    for check in checks:
        lines.append(f"{check.outcome:<4} {check.name}: {check.detail}")
        if check.hint:
            lines.append(f"     hint: {check.hint}")
    return "\n".join(lines) + "\n"


def report_json(env: str, checks: list[Check]) -> str:
    ok = not any(c.outcome == "FAIL" for c in checks)
    return json.dumps({"environment": env, "ok": ok, "checks": [asdict(c) for c in checks]}, indent=2) + "\n"
