"""Fault and latency hooks for tests: throttling, IAM propagation, slow provisioning, rollbacks.

Every fault is armed for a number of calls or a number of services and is consumed as it fires.
All of them are cleared by moto's reset, so one test's faults never leak into the next.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from .config import check_count, check_seconds

IamErrorKind = Literal["access_denied", "credentials"]
T = TypeVar("T")
# The managed resources of ECSManagedResources (botocore ECS model) that can fail to provision.
MANAGED_RESOURCES = (
    "loadBalancer",
    "loadBalancerSecurityGroups",
    "certificate",
    "listener",
    "rule",
    "targetGroups",
    "scalableTarget",
    "applicationAutoScalingPolicies",
    "metricAlarms",
    "serviceSecurityGroups",
    "logGroups",
)
TASK_FAILURES = ("pull", "architecture", "secrets")


@dataclass
class _Armed:
    throttles: list[list[Any]] = field(default_factory=list)  # [operation|None, remaining]
    provisioning: list[tuple[str | None, float]] = field(default_factory=list)
    failing_deployments: list[tuple[str | None, str]] = field(default_factory=list)
    failing_resources: list[tuple[str | None, tuple[str, str]]] = field(default_factory=list)
    failing_tasks: list[tuple[str | None, tuple[str, str | None]]] = field(default_factory=list)
    iam_calls: int = 0
    iam_kind: IamErrorKind = "access_denied"
    iam_seen: dict[str, int] = field(default_factory=dict)  # role ARN -> calls that used it


class Faults:
    """Arm faults that the emulated ECS API then injects (in process and in server mode)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed = _Armed()

    def throttle(self, times: int = 1, operation: str | None = None) -> None:
        """The next `times` ECS calls (of `operation`, e.g. "UpdateExpressGatewayService", or of
        any operation when None) fail with ThrottlingException ("Rate exceeded")."""
        check_count("times", times, minimum=1)
        with self._lock:
            self._armed.throttles.append([operation, times])

    def delay_provisioning(self, seconds: float, service: str | None = None) -> None:
        """The next service created (named `service`, or any) keeps its load balancer and other
        managed resources PROVISIONING, and its first deployment IN_PROGRESS, for `seconds`."""
        delay = check_seconds("seconds", seconds)
        with self._lock:
            self._armed.provisioning.append((service, delay))

    def fail_next_deployment(
        self,
        service: str | None = None,
        reason: str = ("Service deployment rolled back because the circuit breaker threshold was exceeded."),
    ) -> None:
        """The next deployment (of `service`, or of any service) fails: it reports IN_PROGRESS,
        then ROLLBACK_SUCCESSFUL with `reason`, and the service keeps its previous revision."""
        with self._lock:
            self._armed.failing_deployments.append((service, str(reason)))

    def fail_provisioning(
        self,
        resource: str = "loadBalancer",
        reason: str = 'Resource handler returned message: "Internal Failure"',
        service: str | None = None,
    ) -> None:
        """The next service created or updated (named `service`, or any) reports its managed
        `resource` (a member of ECSManagedResources, e.g. "loadBalancer") FAILED with `reason` in
        DescribeServiceRevisions, and its deployment never finishes (AWS keeps retrying)."""
        if resource not in MANAGED_RESOURCES:
            raise ValueError(f"resource: {resource!r} is not one of {list(MANAGED_RESOURCES)}")
        with self._lock:
            self._armed.failing_resources.append((service, (resource, str(reason))))

    def fail_tasks(self, kind: str = "pull", service: str | None = None, reason: str | None = None) -> None:
        """The tasks of the next deployment (of `service`, or any) fail to start, as when the image
        cannot be pulled ("pull"), has no manifest for the task's CPU architecture ("architecture")
        or the execution role may not read a secret ("secrets"): each task stops with AWS's
        stoppedReason (or `reason`), the service gets events, and the deployment rolls back."""
        if kind not in TASK_FAILURES:
            raise ValueError(f"kind: {kind!r} is not one of {list(TASK_FAILURES)}")
        with self._lock:
            self._armed.failing_tasks.append((service, (kind, None if reason is None else str(reason))))

    def iam_propagation(self, calls: int = 1, kind: IamErrorKind = "access_denied") -> None:
        """Each role ARN is rejected by the first `calls` Create/Update calls that pass it, as
        right after the role was created: AccessDeniedException "Cannot assume role"
        (kind="access_denied") or ClientException about access credentials ("credentials")."""
        check_count("calls", calls, minimum=1)
        if kind not in ("access_denied", "credentials"):
            raise ValueError(f"kind: {kind!r} is not 'access_denied' or 'credentials'")
        with self._lock:
            self._armed.iam_calls = calls
            self._armed.iam_kind = kind
            self._armed.iam_seen = {}

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._armed = _Armed()

    def armed(self) -> dict[str, Any]:
        """What is armed now, as JSON (for the HTTP control endpoint and for debugging)."""
        with self._lock:
            a = self._armed
            return {
                "throttle": [{"operation": op, "times": n} for op, n in a.throttles],
                "delay_provisioning": [{"service": s, "seconds": t} for s, t in a.provisioning],
                "fail_next_deployment": [{"service": s, "reason": r} for s, r in a.failing_deployments],
                "fail_provisioning": [
                    {"service": s, "resource": r, "reason": why} for s, (r, why) in a.failing_resources
                ],
                "fail_tasks": [{"service": s, "kind": k, "reason": r} for s, (k, r) in a.failing_tasks],
                "iam_propagation": {"calls": a.iam_calls, "kind": a.iam_kind},
            }

    # The emulator consumes faults through these; each returns what fires now.

    def take_throttle(self, operation: str) -> bool:
        """True (and one use consumed) when this call of `operation` must be throttled."""
        with self._lock:
            for armed in self._armed.throttles:
                if armed[0] in (None, operation) and armed[1] > 0:
                    armed[1] -= 1
                    self._armed.throttles = [t for t in self._armed.throttles if t[1] > 0]
                    return True
        return False

    def take_provisioning_delay(self, service: str) -> float:
        """Extra provisioning seconds for a service being created now (0 when none armed)."""
        delay = _take_first(self._lock, self._armed.provisioning, service)
        return 0.0 if delay is None else delay

    def take_deployment_failure(self, service: str) -> str | None:
        """The rollback reason when the deployment starting now must fail, else None."""
        return _take_first(self._lock, self._armed.failing_deployments, service)

    def take_resource_failure(self, service: str) -> tuple[str, str] | None:
        """(managed resource, reason) when the service created or updated now must fail one."""
        return _take_first(self._lock, self._armed.failing_resources, service)

    def take_task_failure(self, service: str) -> tuple[str, str | None] | None:
        """(kind, reason or None) when the tasks of the deployment starting now must fail."""
        return _take_first(self._lock, self._armed.failing_tasks, service)

    def take_iam_error(self, role_arns: list[str]) -> tuple[IamErrorKind, str] | None:
        """(kind, role ARN) when this call must fail as if a role had not propagated yet."""
        with self._lock:
            a = self._armed
            if a.iam_calls <= 0:
                return None
            for arn in role_arns:
                seen = a.iam_seen.get(arn, 0)
                a.iam_seen[arn] = seen + 1
            for arn in role_arns:
                if a.iam_seen[arn] <= a.iam_calls:
                    return a.iam_kind, arn
        return None


def _take_first(lock: threading.Lock, armed: list[tuple[str | None, T]], service: str) -> T | None:
    """Consume the first armed value meant for `service` (or for any service)."""
    with lock:
        for index, (wanted, value) in enumerate(armed):
            if wanted in (None, service):
                del armed[index]
                return value
    return None


faults = Faults()
