"""Emulator settings: lifecycle timing and local mode, process-wide, restored by moto's reset."""

from __future__ import annotations

import dataclasses
import re
import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EmulatorConfig:
    """How the emulated Express Mode behaves over time and which endpoints it hands out.

    A transitional state (a deployment IN_PROGRESS, a service DRAINING, a managed resource
    PROVISIONING) lasts until BOTH its delay in seconds has passed AND it has been reported to
    `settle_reads` reads by its observer call (DescribeServiceDeployments for deployments,
    DescribeExpressGatewayService for DRAINING). With the defaults (0 s, 1 read) every transition
    is observable exactly once and tests never sleep.

    A new deployment first reports PENDING to `pending_reads` reads, and is missing from the first
    `consistency_reads` ListServiceDeployments and DescribeServiceDeployments answers (AWS's reads
    are eventually consistent). `tasks` says who runs the tasks: "emulated" (the emulator starts
    and stops them on its own, healthy unless a fault says otherwise) or "agent" (a local runtime
    claims them through the agent endpoints and reports their health: the local cloud).
    """

    provisioning_seconds: float = 0.0
    deployment_seconds: float = 0.0
    draining_seconds: float = 0.0
    settle_reads: int = 1
    pending_reads: int = 1
    consistency_reads: int = 1
    tasks: str = "emulated"
    local_port: int | None = None  # set: endpoints are "<service>.<local_domain>:<port>"
    local_domain: str = "localhost"
    # Local mode only: a service name prefix left out of host names, so the project's
    # "homestack-local-sensors" answers at sensors.localhost (as a person would type it).
    local_strip_prefix: str = ""
    services_per_alb: int = 25
    # Service Quotas' "Fargate On-Demand vCPU resource count" (fargate/L-3032A538); moto knows no
    # Fargate quotas. The default is an established account's; a new account's can be far lower.
    fargate_vcpus: int = 100

    def __post_init__(self) -> None:
        # Settings also arrive as JSON over HTTP, so the annotations are checked at run time.
        for name in ("provisioning_seconds", "deployment_seconds", "draining_seconds"):
            check_seconds(name, getattr(self, name))
        check_count("settle_reads", self.settle_reads, minimum=0)
        check_count("pending_reads", self.pending_reads, minimum=0)
        check_count("consistency_reads", self.consistency_reads, minimum=0)
        if self.tasks not in ("emulated", "agent"):
            raise ValueError(f"tasks: {self.tasks!r} is not 'emulated' or 'agent'")
        check_count("services_per_alb", self.services_per_alb, minimum=1)
        check_count("fargate_vcpus", self.fargate_vcpus, minimum=0)
        if self.local_port is not None:
            check_count("local_port", self.local_port, minimum=1)
            if self.local_port > 65535:
                raise ValueError(f"local_port: {self.local_port!r} is not a TCP port")
        domain: object = self.local_domain
        if not isinstance(domain, str) or not domain:
            raise ValueError(f"local_domain: {domain!r} is not a domain")
        prefix: object = self.local_strip_prefix
        if not isinstance(prefix, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", prefix):
            raise ValueError(f"local_strip_prefix: {prefix!r} is not a service name prefix")

    @property
    def local(self) -> bool:
        """True when endpoints are local host names the local router can serve."""
        return self.local_port is not None

    def to_json(self) -> dict[str, Any]:
        """The settings as a JSON object (the shape the HTTP control endpoint accepts)."""
        return dataclasses.asdict(self)


def check_seconds(name: str, value: object) -> float:
    """`value` as seconds, or ValueError naming the setting."""
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name}: {value!r} is not a number of seconds >= 0")
    return float(value)


def check_count(name: str, value: object, minimum: int) -> int:
    """`value` as a whole number >= `minimum`, or ValueError naming the setting."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name}: {value!r} is not a whole number >= {minimum}")
    return value


FIELDS = frozenset(field.name for field in dataclasses.fields(EmulatorConfig))


class _Settings:
    """The baseline survives moto's reset; the current settings go back to it on every reset."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.baseline = EmulatorConfig()
        self.current = self.baseline


_SETTINGS = _Settings()


def current_config() -> EmulatorConfig:
    """The settings in force now."""
    return _SETTINGS.current


def configure(*, baseline: bool = False, **changes: Any) -> EmulatorConfig:
    """Change some settings (unknown names raise TypeError, bad values ValueError).

    Changes last until moto's next reset (`mock_aws` start/stop, POST /moto-api/reset), like
    every other piece of emulated state. With `baseline=True` they also become what a reset
    restores: the server uses that for its command-line options.
    """
    unknown = set(changes) - FIELDS
    if unknown:
        raise TypeError(f"configure: unknown setting(s) {sorted(unknown)}; known: {sorted(FIELDS)}")
    with _SETTINGS.lock:
        updated = dataclasses.replace(_SETTINGS.current, **changes)
        _SETTINGS.current = updated
        if baseline:
            _SETTINGS.baseline = dataclasses.replace(_SETTINGS.baseline, **changes)
    return updated


def restore_baseline() -> None:
    """Put the settings back to the baseline (called on moto's reset)."""
    with _SETTINGS.lock:
        _SETTINGS.current = _SETTINGS.baseline
