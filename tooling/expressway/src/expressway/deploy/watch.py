"""Following a deployment: finding the one a create or update started, waiting for it to end, the
failures that settle it before any timeout would, and the service's recent events and last log lines
for every failed deploy.

A deployment can sit IN_PROGRESS for its whole timeout while what it needs has already failed. The
signals are elsewhere: a managed resource `FAILED` with its `statusReason` (DescribeServiceRevisions:
ECSManagedResources), and tasks stopped for a reason no retry fixes: an image that cannot be pulled
(`CannotPullContainerError`, also what a wrong architecture gives), secrets or logs that cannot be set
up (`ResourceInitializationError`). Those show only in stopped tasks (DescribeTasks `stoppedReason`)
and in the ECS service's events ("Amazon ECS stopped tasks errors",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from expressway.aws.logs import Logs
from expressway.deploy.target import Target
from expressway.deploy.waiting import Clock, Deadline, wait_for_deployment
from expressway.errors import DeployError, ExpresswayError
from expressway.plan.tasks import Deployment

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


def find_deployment(
    target: Target,
    key: str,
    current: str | None,
    previous: str | None,
    started: datetime,
    *,
    timeout: float,
    poll: float,
    clock: Clock,
) -> str:
    """The deployment this call started: a new currentDeployment, else the newest listed after
    `started` (ECS lists a new deployment a moment after the call; docs/aws-facts.md, section 5)."""
    deadline = Deadline(timeout, clock)
    while True:
        if current and current != previous:
            return current
        listed = target.ecs.deployments(target.names.cluster, target.arn(key), started)
        fresh = [d.arn for d in listed if d.arn and d.arn != previous]
        if fresh:
            return fresh[0]
        if deadline.passed:
            raise DeployError(
                f"deploy {key}: ECS reported no deployment for this change",
                hint="run `expressway status`; deploying again resumes from here",
            )
        clock.sleep(poll)
        live = target.observe(key)
        current = live.current_deployment if live else None


def settle(
    target: Target,
    key: str,
    arn: str,
    started: datetime | None,
    say: Callable[[str], None],
    *,
    timeout: float,
    poll: float,
    interval: float,
    clock: Clock,
    first: Deployment | None = None,
) -> Deployment:
    """Wait for deployment `arn` to finish; DeployError with its reason as soon as it ends badly or
    the watch says it cannot succeed (the caller adds the failure report: `report`). `first`: the
    deployment as already described, if it was."""
    watch = Watch(target, key, started, interval=interval, clock=clock)
    first = first or target.ecs.deployment(arn)
    pending = [first]
    found = wait_for_deployment(
        lambda: pending.pop() if pending else target.ecs.deployment(arn),
        lambda status: say(f"{key}: deployment {status}"),
        timeout=timeout,
        poll=poll,
        clock=clock,
        check=watch.problem,
    )
    if found.failed:
        reason = found.reason or "no reason given"
        alarms = found.triggered_alarms
        why = f"deployment {found.status}: {reason}" + (f" (alarms: {', '.join(alarms)})" if alarms else "")
        raise DeployError(
            f"deploy {key}: {why}",
            hint="fix the cause and deploy again; the service keeps serving its previous revision",
        )
    return found


def rolled_back(
    target: Target, key: str, arn: str, running: str | None, say: Callable[[str], None]
) -> tuple[Deployment | None, bool]:
    """The service's last deployment, for a deploy that finds the newest configuration already equal
    to the one it asks for; and whether that configuration must be deployed again.

    A last deployment that ended without succeeding (rolled back, stopped) is history, not this
    deploy's failure: failing on it would fail every redeploy. If the revision it went back to is the
    newest configuration, what runs is what is asked for: nothing to deploy. If the newest
    configuration is the very revision that failed, what runs differs from it: deploy it again.
    """
    last = target.ecs.deployment(arn)
    if last is None or not last.ended or last.succeeded:
        return last, False
    why = f": {last.reason}" if last.reason else ""
    if running is not None and last.target_revision == running:
        say(
            f"{key}: its last deployment, of this configuration, ended {last.status}{why}; deploying it again"
        )
        return last, True
    say(
        f"{key}: its last deployment ended {last.status}{why}; the revision it went back to is the "
        "one this deploy asks for, so there is nothing to deploy"
    )
    return last, False


def report(target: Target, key: str, log_group: str | None) -> str:
    """The last log lines and the service's recent events, for a failed deploy's message (best effort:
    a report that cannot be read says so rather than hiding the failure it explains)."""
    try:
        lines = Logs(target.environment).tail(log_group or target.names.log_group(key))
    except ExpresswayError as exc:
        lines = [f"(not readable: {exc.message.splitlines()[0]})"]
    tail = "".join(f"\n    {line}" for line in lines) or "\n    (no log lines)"
    events = "".join(f"\n    {event}" for event in recent_events(target, key)) or "\n    (no events)"
    return f"\n  last log lines:{tail}\n  recent events:{events}"


def recent_events(target: Target, key: str, limit: int = 8) -> list[str]:
    """The ECS service's newest events, oldest first (best effort: empty when unreadable)."""
    try:
        events = target.ecs.events(target.names.cluster, target.arn(key), limit)
    except ExpresswayError:  # a failure report must not fail on its own garnish
        return []
    return [
        f"{event.at.isoformat(timespec='seconds') if event.at else '?'} {event.message}"
        for event in reversed(events)
    ]


@contextmanager
def reported(target: Target, key: str, log_group: str | None) -> Iterator[None]:
    """Add the failure report (last log lines, recent ECS events) to an error raised in the block."""
    try:
        yield
    except ExpresswayError as exc:
        add_report(exc, target, key, log_group)
        raise


def add_report(exc: ExpresswayError, target: Target, key: str, log_group: str | None) -> None:
    """Append the failure report to `exc`'s message (what the CLI prints)."""
    exc.message = f"{exc.message}{report(target, key, log_group)}"
    exc.args = (exc.message,)
