"""`${tables.T.name}` and `${services.S.url}` references: checks, deploy order, substitution."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING, Literal, NamedTuple

from expressway.registry.forms import dotted, short

if TYPE_CHECKING:
    from expressway.registry.models import Registry

_REF = re.compile(r"\$\{([^}]*)\}")
_KINDS = "'${tables.<table>.name}' or '${services.<service>.url}'"


class Ref(NamedTuple):
    """One reference inside an env value: to a table's physical name or a service's URL."""

    kind: Literal["tables", "services"]
    target: str


def parse_ref(text: str) -> Ref | None:
    """The reference `text` (without `${}`) names, or None if it is not a supported form."""
    parts = text.split(".")
    if len(parts) == 3 and parts[0] == "tables" and parts[2] == "name":
        return Ref("tables", parts[1])
    if len(parts) == 3 and parts[0] == "services" and parts[2] == "url":
        return Ref("services", parts[1])
    return None


def _env_values(registry: Registry) -> Iterable[tuple[str, str, str]]:
    """(service, path of the value, value) for every env value, base and per environment."""
    for name, svc in registry.services.items():
        for var, value in svc.env.items():
            yield name, dotted("services", name, "env", var), value
        for env_name, over in svc.environments.items():
            for var, value in over.env.items():
                yield name, dotted("services", name, "environments", env_name, "env", var), value


def check_references(registry: Registry) -> list[str]:
    """Problems with references: unknown forms, missing targets, self references and cycles."""
    problems: list[str] = []
    for name, where, value in _env_values(registry):
        for raw in _REF.findall(value):
            ref = parse_ref(raw)
            if ref is None:
                problems.append(f"{where}: {short('${' + raw + '}')} is not a reference; use {_KINDS}")
            elif ref.target not in getattr(registry, ref.kind):
                known = ", ".join(dotted(k) for k in sorted(getattr(registry, ref.kind))) or "none"
                problems.append(
                    f"{where}: {short('${' + raw + '}')} names no such {ref.kind[:-1]}; known: {known}"
                )
            elif ref.kind == "services" and ref.target == name:
                problems.append(f"{where}: {short('${' + raw + '}')} refers to the service itself")
    if not problems:
        try:
            deploy_order(registry, list(registry.services))
        except CycleError as exc:
            cycle = " -> ".join(dotted(name) for name in reversed(exc.args[1]))
            problems.append(f"services: references form a cycle: {cycle}")
    return problems


def dependencies(registry: Registry, name: str) -> set[str]:
    """Services whose URL service `name` needs (in any environment)."""
    found: set[str] = set()
    for owner, _, value in _env_values(registry):
        if owner == name:
            for raw in _REF.findall(value):
                ref = parse_ref(raw)
                if ref is not None and ref.kind == "services":
                    found.add(ref.target)
    return found


def deploy_order(registry: Registry, names: list[str]) -> list[str]:
    """`names` ordered so every service comes after the services whose URL it uses."""
    graph = {name: dependencies(registry, name) for name in registry.services}
    order = list(TopologicalSorter(graph).static_order())
    return [name for name in order if name in names]


def waves(registry: Registry, names: list[str]) -> list[list[str]]:
    """`names` in deploy order, grouped: each wave needs only services of earlier waves."""
    found: list[list[str]] = []
    level: dict[str, int] = {}
    for name in deploy_order(registry, names):
        level[name] = 1 + max((level[d] for d in dependencies(registry, name) if d in level), default=-1)
        found += [[] for _ in range(level[name] + 1 - len(found))]
        found[level[name]].append(name)
    return found


def substitute(value: str, tables: Mapping[str, str], urls: Mapping[str, str]) -> str:
    """`value` with each reference replaced by the table's physical name or the service's URL."""

    def one(match: re.Match[str]) -> str:
        ref = parse_ref(match.group(1))
        if ref is None:
            return match.group(0)
        source = tables if ref.kind == "tables" else urls
        return source[ref.target]

    return _REF.sub(one, value)
