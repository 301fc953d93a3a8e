"""While a deployment runs: the failures that settle it before any timeout would, and the service's
recent events for every failed deploy.

A deployment can sit IN_PROGRESS for its whole timeout while what it needs has already failed. The
signals are elsewhere: a managed resource `FAILED` with its `statusReason` (DescribeServiceRevisions:
ECSManagedResources), and tasks stopped for a reason no retry fixes: an image that cannot be pulled
(`CannotPullContainerError`, also what a wrong architecture gives), secrets or logs that cannot be set
up (`ResourceInitializationError`). Those show only in stopped tasks (DescribeTasks `stoppedReason`)
and in the ECS service's events ("Amazon ECS stopped tasks errors",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html).
"""

from __future__ import annotations

from datetime import datetime

from expressway.deploy.target import Target
from expressway.deploy.waiting import Clock
from expressway.errors import ExpresswayError

# Stopped-task reasons that fail every new task the same way: waiting cannot help.
FATAL = (
    "CannotPullContainerError",
    "ResourceInitializationError",
    "CannotCreateContainerError",
    "exec format error",  # a binary for another CPU architecture
    "does not contain descriptor matching platform",  # no image for the task's platform
)


class Watch:
    """Checks one service's deployment for failures that end it now (at most every `interval`)."""

    def __init__(
        self, target: Target, key: str, started: datetime | None, *, interval: float, clock: Clock
    ) -> None:
        """`started`: when this deploy began; tasks that stopped before it are not its business
        (None: look at managed resources only, e.g. when waiting on a deployment begun earlier)."""
        self.target, self.key, self.started = target, key, started
        self.interval, self.clock = interval, clock
        self._next = clock.monotonic()

    def problem(self) -> str | None:
        """Why the deployment cannot succeed, or None while nothing says so."""
        if self.clock.monotonic() < self._next:
            return None
        self._next = self.clock.monotonic() + self.interval
        live = self.target.observe(self.key, resources=True)
        failed = live.resources.failed if live and live.resources else ()
        if failed:
            return "; ".join(f"{r.kind} {r.status}: {r.reason or 'no reason given'}" for r in failed)
        if self.started is None:
            return None
        name = self.target.names.service(self.key)
        for task in self.target.ecs.stopped_tasks(self.target.names.cluster, name, since=self.started):
            if any(marker in task.why for marker in FATAL):
                return f"a task stopped: {task.why}"
        return None

    def recent_events(self, limit: int = 8) -> list[str]:
        """The ECS service's newest events, oldest first (best effort: empty when unreadable)."""
        try:
            events = self.target.ecs.events(self.target.names.cluster, self.target.arn(self.key), limit)
        except ExpresswayError:  # a failure report must not fail on its own garnish
            return []
        return [
            f"{event.at.isoformat(timespec='seconds') if event.at else '?'} {event.message}"
            for event in reversed(events)
        ]
