"""PURE: desired request + observed Express service -> a Plan of create/update/no-change/blocked."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from expressway.plan.live import LiveService

Action = Literal["create", "update", "no-change", "blocked"]

# What the API reports for fields it filled in itself (the botocore ECS model's documentation of
# CreateExpressGatewayService: healthCheckPath /ping, containerPort 80, logStreamPrefix ecs, scaling
# target 60 on AVERAGE_CPU; min 1 and max 20 tasks from the Express Mode developer guide page
# "Resources created by Amazon ECS Express Mode services"), so a server default is not a change.
_DEFAULTS: dict[str, Any] = {
    "healthCheckPath": "/ping",
    "cpuArchitecture": "X86_64",
    "containerPort": 80,
    "logStreamPrefix": "ecs",
    "scaling.min": 1,
    "scaling.max": 20,
    "scaling.metric": "AVERAGE_CPU",
    "scaling.target": 60,
}


@dataclass(frozen=True)
class Change:
    """One field that differs; `before` is None for a field being set for the first time."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Step:
    """What deploying one service would do."""

    service: str
    name: str
    action: Action
    changes: tuple[Change, ...] = ()
    reason: str | None = None
    hint: str | None = None
    arn: str | None = None


@dataclass(frozen=True)
class AlbSlots:
    """The shared ALB's places: Express services on it now, and after the plan's creates."""

    used: int
    after: int
    places: int

    @property
    def albs_after(self) -> int:
        return max(1, -(-self.after // self.places))


@dataclass(frozen=True)
class Plan:
    """Steps for every service asked for, in deploy order."""

    environment: str
    steps: tuple[Step, ...] = field(default_factory=tuple)
    alb: AlbSlots | None = None  # None when nothing is created (the count costs AWS calls)

    @property
    def blocked(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.action == "blocked")

    @property
    def changed(self) -> bool:
        return any(s.action in ("create", "update") for s in self.steps)

    @property
    def exit_code(self) -> int:
        """0 nothing to do, 2 changes to apply, 1 something cannot be applied."""
        if self.blocked:
            return 1
        return 2 if self.changed else 0


def _size(value: Any, per_unit: int) -> int | None:
    """'1024', 1024, '1 vCPU' or '2 GB' -> integer units (cpu units or MiB)."""
    if value is None:
        return None
    text = str(value).strip()
    match = re.fullmatch(r"([\d.]+)\s*(vcpu|gb)?", text, re.IGNORECASE)
    if not match:
        return None
    number = float(match.group(1))
    return int(number * per_unit) if match.group(2) else int(number)


def comparable(config: Mapping[str, Any]) -> dict[str, Any]:
    """A flat `field -> value` view of a request or observed configuration, defaults filled."""
    container = config.get("primaryContainer") or {}
    logs = container.get("awsLogsConfiguration") or {}
    scaling = config.get("scalingTarget") or {}
    network = config.get("networkConfiguration") or {}
    view: dict[str, Any] = {
        "executionRoleArn": config.get("executionRoleArn"),
        "taskRoleArn": config.get("taskRoleArn"),
        "healthCheckPath": config.get("healthCheckPath"),
        "cpu": _size(config.get("cpu"), 1024),
        "memory": _size(config.get("memory"), 1024),
        "cpuArchitecture": config.get("cpuArchitecture"),
        "image": container.get("image"),
        "containerPort": container.get("containerPort"),
        "logGroup": logs.get("logGroup"),
        "logStreamPrefix": logs.get("logStreamPrefix"),
        "command": container.get("command") or None,
        "subnets": sorted(network.get("subnets") or []) or None,
        "scaling.min": scaling.get("minTaskCount"),
        "scaling.max": scaling.get("maxTaskCount"),
        "scaling.metric": scaling.get("autoScalingMetric"),
        "scaling.target": scaling.get("autoScalingTargetValue"),
    }
    for key, default in _DEFAULTS.items():
        if view[key] is None:
            view[key] = default
    # Environment and secrets compare as maps: the API may return them in any order.
    for item in container.get("environment") or []:
        view[f"environment.{item['name']}"] = item.get("value")
    for item in container.get("secrets") or []:
        view[f"secrets.{item['name']}"] = item.get("valueFrom")
    return view


def _tail(value: str | None) -> str | None:
    return value.rsplit("/", 1)[-1] if value else value


def _blocked(desired: Mapping[str, Any], observed: LiveService) -> list[Change]:
    """Create-only fields that differ: changing them needs a new service."""
    changes: list[Change] = []
    pairs: list[tuple[str, Any, Any]] = [
        ("serviceName", observed.name, desired["serviceName"]),
        ("cluster", _tail(observed.cluster), _tail(desired["cluster"])),
        ("infrastructureRoleArn", observed.infrastructure_role, desired["infrastructureRoleArn"]),
    ]
    if observed.tags is not None:
        ours = {t["key"]: t["value"] for t in desired.get("tags", [])}
        seen = {k: v for k, v in observed.tags.items() if k in ours}
        pairs.append(("tags", seen, ours))
    for name, before, after in pairs:
        if before is not None and before != after:
            changes.append(Change(name, before, after))
    return changes


def diff(desired: Mapping[str, Any], observed_config: Mapping[str, Any]) -> tuple[Change, ...]:
    """Field-level differences; security groups count as equal when observed is a superset."""
    want, have = comparable(desired), comparable(observed_config)
    changes = [
        Change(key, have.get(key), want.get(key))
        for key in sorted(set(want) | set(have))
        if want.get(key) != have.get(key)
    ]
    wanted_groups = set((desired.get("networkConfiguration") or {}).get("securityGroups") or [])
    seen_groups = set((observed_config.get("networkConfiguration") or {}).get("securityGroups") or [])
    if not wanted_groups <= seen_groups:
        changes.append(Change("securityGroups", sorted(seen_groups), sorted(wanted_groups)))
    return tuple(changes)


def plan_service(key: str, desired: Mapping[str, Any], observed: LiveService | None) -> Step:
    """The step for one service: `desired` is the Express request, `observed` what runs (or None)."""
    name = desired["serviceName"]
    if observed is None or observed.gone:
        created = tuple(Change(k, None, v) for k, v in comparable(desired).items())
        return Step(key, name, "create", created)
    arn = observed.arn
    if observed.draining:
        return Step(
            key,
            name,
            "blocked",
            reason=f"{name} is being deleted (DRAINING)",
            arn=arn,
            hint="wait until it is INACTIVE (`expressway status`), then deploy again",
        )
    fixed = _blocked(desired, observed)
    if fixed:
        fields = ", ".join(c.field for c in fixed)
        return Step(
            key,
            name,
            "blocked",
            tuple(fixed),
            arn=arn,
            reason=f"{fields} can only be set when the service is created",
            hint=f"`expressway destroy {key}` then deploy to recreate it, or restore {fields}",
        )
    changes = diff(desired, observed.active.raw if observed.active else {})
    return Step(key, name, "update" if changes else "no-change", changes, arn=arn)
