"""`expressway cost`: monthly estimate per service and fleet, and what sharing one ALB saves (pure)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

from expressway.errors import UsageError
from expressway.plan.capacity import PER_ALB, alb_month
from expressway.plan.pricing import Prices
from expressway.registry import Registry, resolve

DEFAULT_AZS = 3  # a default VPC has one subnet per zone; eu-west-1 and us-east-1 have at least 3


@dataclass(frozen=True)
class ServiceCost:
    """One service's monthly USD at its fewest and most tasks."""

    service: str
    architecture: str
    vcpu: float
    memory_gb: float
    min_tasks: int
    max_tasks: int
    task_month: float  # Fargate vCPU + GB for one task running all month
    fargate_min: float
    fargate_max: float
    ipv4_min: float  # public IPv4 per task (public subnets only)
    ipv4_max: float
    alb_share: float  # this service's share of the shared ALB(s), their public IPv4 included
    total_min: float
    total_max: float


@dataclass(frozen=True)
class FleetCost:
    """The environment's estimate: services, shared ALBs, totals and the saving against one ALB each."""

    environment: str
    region: str
    access: str
    zones: int
    prices: Prices
    services: tuple[ServiceCost, ...]
    albs: int
    alb_month: float  # one ALB for a month: its hours plus one public IPv4 per zone when internet-facing
    shared_albs_month: float
    dedicated_albs_month: float
    saving: float
    total_min: float
    total_max: float


def estimate(registry: Registry, env: str, prices: Prices, zones: int | None = None) -> FleetCost:
    """What `env` costs a month per `prices` (LCU, logs and NAT depend on traffic and are left out)."""
    environment = registry.environment(env)
    if zones is not None and zones < 1:
        raise UsageError(f"cost: {zones} zones: an ALB spans at least 1 zone", hint="give --zones 1 or more")
    zones = zones or (len(environment.subnets) if environment.subnets else DEFAULT_AZS)
    public = environment.access == "public"
    month = prices.per_month
    one_alb = alb_month(prices, zones, public)
    keys = list(registry.services)
    albs = math.ceil(len(keys) / PER_ALB)
    shared = albs * one_alb
    share = shared / len(keys)
    rows = []
    for key in keys:
        svc = resolve(registry, key, env)
        arm = svc.architecture == "arm64"
        vcpu, gb = svc.cpu / 1024, svc.memory / 1024
        hourly = vcpu * (prices.vcpu_hour_arm if arm else prices.vcpu_hour_x86) + gb * (
            prices.gb_hour_arm if arm else prices.gb_hour_x86
        )
        task = month(hourly)
        ip = month(prices.ipv4_hour) if public else 0.0
        low, high = svc.scaling.min, svc.scaling.max
        rows.append(
            ServiceCost(
                service=key,
                architecture=svc.architecture,
                vcpu=vcpu,
                memory_gb=gb,
                min_tasks=low,
                max_tasks=high,
                task_month=task,
                fargate_min=task * low,
                fargate_max=task * high,
                ipv4_min=ip * low,
                ipv4_max=ip * high,
                alb_share=share,
                total_min=task * low + ip * low + share,
                total_max=task * high + ip * high + share,
            )
        )
    dedicated = len(keys) * one_alb
    return FleetCost(
        environment=env,
        region=environment.region,
        access=environment.access,
        zones=zones,
        prices=prices,
        services=tuple(rows),
        albs=albs,
        alb_month=one_alb,
        shared_albs_month=shared,
        dedicated_albs_month=dedicated,
        saving=dedicated - shared,
        total_min=sum(r.total_min for r in rows),
        total_max=sum(r.total_max for r in rows),
    )


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def cost_text(cost: FleetCost) -> str:
    """A table for people: one row per service, the total, the ALB saving, and where prices came from."""
    head = ("SERVICE", "SIZE", "TASKS", "FARGATE/MO", "IPV4/MO", "ALB SHARE", "TOTAL/MO")
    table = [head]
    for r in cost.services:
        arch = "arm" if r.architecture == "arm64" else "x86"
        table.append(
            (
                r.service,
                f"{r.vcpu:g} vCPU {r.memory_gb:g} GB {arch}",
                f"{r.min_tasks}-{r.max_tasks}",
                f"{_usd(r.fargate_min)}-{_usd(r.fargate_max)}",
                f"{_usd(r.ipv4_min)}-{_usd(r.ipv4_max)}",
                _usd(r.alb_share),
                f"{_usd(r.total_min)}-{_usd(r.total_max)}",
            )
        )
    span = f"{_usd(cost.total_min)}-{_usd(cost.total_max)}"
    table.append(("total", "", "", "", "", _usd(cost.shared_albs_month), span))
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table]
    n = len(cost.services)
    p = cost.prices
    lines += [
        "",
        f"shared ALB: {cost.albs} for {n} services ({_usd(cost.alb_month)}/mo each, "
        f"{cost.zones} zones, {cost.access}); one ALB per service would cost "
        f"{_usd(cost.dedicated_albs_month)}/mo: sharing saves {_usd(cost.saving)}/mo",
        f"prices: {p.region}, {p.date}, USD on demand, {p.hours_per_month:g} h/month; source: {p.source}",
        "not included: ALB LCUs, log ingestion, NAT (private subnets), data transfer",
    ]
    return "\n".join(lines) + "\n"


def cost_json(cost: FleetCost) -> str:
    """The estimate for machines, every figure in USD per month, rounded to cents."""

    def cents(value: object) -> object:
        return round(value, 2) if isinstance(value, float) else value

    document = {
        "environment": cost.environment,
        "region": cost.region,
        "access": cost.access,
        "zones": cost.zones,
        "services": [{k: cents(v) for k, v in asdict(r).items()} for r in cost.services],
        "albs": cost.albs,
        "alb_month": cents(cost.alb_month),
        "shared_albs_month": cents(cost.shared_albs_month),
        "dedicated_albs_month": cents(cost.dedicated_albs_month),
        "saving": cents(cost.saving),
        "total_min": cents(cost.total_min),
        "total_max": cents(cost.total_max),
        "prices": cost.prices.as_dict(),
    }
    return json.dumps(document, indent=2) + "\n"
