"""PURE: Plans and status rows -> text for people and JSON for machines."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from expressway.plan.desired import SUPPORT_VAR
from expressway.plan.steps import Change, Plan, Step

_CODES = {"green": "32", "yellow": "33", "red": "31", "bold": "1", "dim": "2"}
_SYMBOL = {"create": "+", "update": "~", "no-change": "=", "blocked": "!"}
_COLOR = {"create": "green", "update": "yellow", "no-change": "dim", "blocked": "red"}


def paint(text: str, color: str, enabled: bool) -> str:
    """`text` in an ANSI colour when enabled; the words alone always carry the meaning."""
    return f"\033[{_CODES[color]}m{text}\033[0m" if enabled else text


def _value(value: Any) -> str:
    return json.dumps(value, default=str)


def _change(change: Change) -> str:
    if change.field == f"environment.{SUPPORT_VAR}":
        return "~ support: roles, policies, tables or log retention changed"
    if change.before is None:
        return f"+ {change.field}: {_value(change.after)}"
    if change.after is None:
        return f"- {change.field}: {_value(change.before)}"
    return f"~ {change.field}: {_value(change.before)} -> {_value(change.after)}"


def _step(step: Step, color: bool) -> list[str]:
    label = step.action.replace("-", " ")
    head = f"{_SYMBOL[step.action]} {step.service} ({step.name}): {label}"
    lines = [paint(head, _COLOR[step.action], color)]
    if step.action != "create":
        lines += [f"    {_change(c)}" for c in step.changes]
    if step.reason:
        lines.append(f"    {step.reason}")
    if step.hint:
        lines.append(f"    hint: {step.hint}")
    return lines


def plan_text(plan: Plan, color: bool = False, *, also_unchanged: int = 0) -> str:
    """The plan as people read it: one block per service, then a one-line summary; `also_unchanged`
    counts services left out of the plan as unchanged (those `--changed` listed as same)."""
    lines = [f"Plan for environment {plan.environment}:"]
    for step in plan.steps:
        lines += _step(step, color)
    counts = {a: sum(1 for s in plan.steps if s.action == a) for a in _SYMBOL}
    counts["no-change"] += also_unchanged
    lines.append(
        f"{counts['create']} to create, {counts['update']} to update, "
        f"{counts['no-change']} unchanged, {counts['blocked']} blocked"
    )
    if plan.alb is not None:
        slots = plan.alb
        lines.append(
            f"shared ALB: {slots.used} of {slots.places} places used now, {slots.after} after this plan"
            + (f" ({slots.albs_after} ALBs)" if slots.albs_after > 1 else "")
        )
    return "\n".join(lines) + "\n"


def plan_json(plan: Plan) -> str:
    """The plan for machines: steps with field-level changes, and the exit code it implies."""
    document = {
        "environment": plan.environment,
        "changed": plan.changed,
        "exit_code": plan.exit_code,
        "alb": asdict(plan.alb) if plan.alb else None,
        "steps": [
            {
                "service": s.service,
                "name": s.name,
                "action": s.action,
                "arn": s.arn,
                "reason": s.reason,
                "hint": s.hint,
                "changes": [asdict(c) for c in s.changes],
            }
            for s in plan.steps
        ],
    }
    return json.dumps(document, indent=2, default=str) + "\n"


@dataclass(frozen=True)
class StatusRow:
    """One service's live state, as `expressway status` shows it."""

    service: str
    name: str
    state: str
    url: str | None = None
    version: str | None = None
    head: str | None = None
    running: int | None = None
    desired: int | None = None
    deployment: str | None = None
    load_balancer: str | None = None
    alb_services: int | None = None

    @property
    def current(self) -> bool:
        return self.version is not None and self.version == self.head


def short_version(version: str) -> str:
    """A commit's first 12 characters, keeping a `-dirty` mark: a version from uncommitted changes
    is not the commit it names."""
    sha, dirty, _ = version.partition("-dirty")
    return sha[:12] + dirty


_COLUMNS = ("SERVICE", "STATE", "URL", "VERSION", "TASKS", "LAST DEPLOY", "ALB")


def _cells(row: StatusRow) -> tuple[str, ...]:
    version = "-"
    if row.version:
        version = short_version(row.version) + (
            "" if row.current else f" (HEAD {short_version(row.head or '?')})"
        )
    tasks = "-" if row.desired is None else f"{row.running or 0}/{row.desired}"
    alb = "-"
    if row.load_balancer:
        alb = f"{row.load_balancer.rsplit('/', 2)[-2]} ({row.alb_services or 0}/25)"
    return (row.service, row.state, row.url or "-", version, tasks, row.deployment or "-", alb)


def status_text(environment: str, rows: list[StatusRow]) -> str:
    """Every service in one aligned table."""
    table = [_COLUMNS, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(_COLUMNS))]
    out = [f"Environment {environment}:"]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in table]
    return "\n".join(out) + "\n"


def status_json(environment: str, rows: list[StatusRow]) -> str:
    document = {"environment": environment, "services": [asdict(r) for r in rows]}
    return json.dumps(document, indent=2) + "\n"
