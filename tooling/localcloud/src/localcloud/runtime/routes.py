"""The routing table of the shared ALB, read from the emulated ELBv2: host rule -> groups -> targets."""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from expressway.aws.elbv2 import Elbv2


@dataclass(frozen=True)
class Target:
    """One registered target: an address and port that serves the rule's traffic."""

    address: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"


@dataclass(frozen=True)
class Route:
    """One listener rule with a host-header condition and a forward action."""

    priority: int
    hosts: tuple[str, ...]  # host-header values; may hold the ALB's wildcards * and ?
    groups: tuple[str, ...]  # every target group the rule forwards to, whatever its weight
    serving: tuple[str, ...]  # the groups with a weight above zero: where traffic goes
    targets: tuple[Target, ...]  # the registered targets of the serving groups
    internal: bool = False  # on an internal ALB (access = "private"): reachable from the VPC only
    _turn: itertools.count[int] = field(default_factory=itertools.count, compare=False, repr=False)

    def matches(self, host: str) -> bool:
        return any(fnmatch.fnmatchcase(host, pattern.lower()) for pattern in self.hosts)

    def pick(self) -> Target | None:
        """The next target in round-robin order, or None when no target is registered."""
        if not self.targets:
            return None
        return self.targets[next(self._turn) % len(self.targets)]


def hostname(host_header: str) -> str:
    """The host name of a Host header: lower case, without the port (the ALB ignores it too)."""
    host = host_header.strip().lower()
    if host.startswith("["):  # an IPv6 literal keeps its colons
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


@dataclass(frozen=True)
class RouteTable:
    """Every host rule of every listener, in the order the ALB evaluates them (priority)."""

    routes: tuple[Route, ...] = ()

    def match(self, host_header: str) -> Route | None:
        host = hostname(host_header)
        return next((route for route in self.routes if route.matches(host)), None)

    def route_for(self, host: str) -> Route | None:
        """The rule whose host-header values include exactly `host` (how a service finds its own)."""
        wanted = hostname(host)
        return next((r for r in self.routes if wanted in (h.lower() for h in r.hosts)), None)

    @property
    def hosts(self) -> list[str]:
        """Every host name the table routes, in priority order."""
        return [host for route in self.routes for host in route.hosts]


def _host_values(conditions: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    values: list[str] = []
    for condition in conditions:
        if condition.get("Field") != "host-header":
            continue
        config = condition.get("HostHeaderConfig") or {}
        values.extend(config.get("Values") or condition.get("Values") or [])
    return tuple(values)


def _forward(actions: Iterable[Mapping[str, Any]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(all groups, serving groups) of the rule's forward action; both empty when it has none."""
    for action in sorted(actions, key=lambda a: int(a.get("Order", 1))):
        if action.get("Type") != "forward":
            continue
        weighted = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
        if weighted:
            groups = tuple(str(g["TargetGroupArn"]) for g in weighted)
            serving = tuple(str(g["TargetGroupArn"]) for g in weighted if int(g.get("Weight", 1)) > 0)
            return groups, serving
        if "TargetGroupArn" in action:
            return (str(action["TargetGroupArn"]),), (str(action["TargetGroupArn"]),)
    return (), ()


def _targets(elbv2: Elbv2, group: str) -> list[Target]:
    found = []
    for description in elbv2.target_health(group):
        state = description.get("TargetHealth", {}).get("State")
        target = description.get("Target", {})
        # "draining" targets no longer receive new requests on an ALB; "initial" ones do not yet.
        if state == "healthy" and "Id" in target and "Port" in target:
            found.append(Target(target["Id"], int(target["Port"])))
    return found


def read_routes(elbv2: Elbv2) -> RouteTable:
    """Read every application load balancer's host rules, target groups and healthy targets."""
    routes: list[Route] = []
    health: dict[str, list[Target]] = {}
    for balancer in elbv2.load_balancers():
        if balancer.get("Type", "application") != "application":
            continue
        internal = balancer.get("Scheme") == "internal"
        for listener in elbv2.listeners(balancer["LoadBalancerArn"]):
            for rule in elbv2.rules(listener["ListenerArn"]):
                hosts = _host_values(rule.get("Conditions", []))
                groups, serving = _forward(rule.get("Actions", []))
                if rule.get("IsDefault") or not hosts or not groups:
                    continue
                targets: list[Target] = []
                for group in serving:
                    if group not in health:
                        health[group] = _targets(elbv2, group)
                    targets.extend(t for t in health[group] if t not in targets)
                priority = int(rule["Priority"]) if str(rule.get("Priority", "")).isdigit() else 50001
                routes.append(Route(priority, hosts, groups, serving, tuple(targets), internal=internal))
    routes.sort(key=lambda route: route.priority)
    return RouteTable(tuple(routes))
