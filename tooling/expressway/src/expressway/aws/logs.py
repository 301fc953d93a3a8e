"""CloudWatch Logs: service log groups with a retention, their last lines for failure reports, and
their events since a time for `expressway logs`."""

from __future__ import annotations

import collections
import time
from collections.abc import Iterator
from dataclasses import dataclass

from expressway.aws.session import client, run
from expressway.errors import AwsError, NotFoundError
from expressway.registry import Environment


@dataclass(frozen=True)
class Event:
    """One log event: when it was logged (ms since the epoch), its id, stream and text."""

    timestamp: int
    event_id: str
    stream: str
    message: str


class Logs:
    def __init__(self, env: Environment) -> None:
        self.api = client(env, "logs")

    def ensure_group(self, name: str, retention_days: int, tags: dict[str, str]) -> bool:
        """Create the log group if missing and set its retention; True when created."""
        found = run("describe log groups", self.api.describe_log_groups, logGroupNamePrefix=name)
        group = next((g for g in found.get("logGroups", []) if g["logGroupName"] == name), None)
        created = group is None
        if group is None:
            run(f"create log group {name}", self.api.create_log_group, logGroupName=name, tags=tags)
        if group is None or group.get("retentionInDays") != retention_days:
            run(
                f"set retention of {name}",
                self.api.put_retention_policy,
                logGroupName=name,
                retentionInDays=retention_days,
            )
        return created

    def tail(self, name: str, lines: int = 20, window_ms: int = 15 * 60 * 1000) -> list[str]:
        """The last `lines` messages logged in the last `window_ms`; empty if the group cannot be read
        (best effort: this feeds a failure report). FilterLogEvents returns the oldest events first
        and may return empty pages while `nextToken` says more remain (CloudWatch Logs API reference),
        so every page of the window is read."""
        start = int(time.time() * 1000) - window_ms
        found: collections.deque[str] = collections.deque(maxlen=lines)
        try:
            for event in self.events(name, start):
                found.append(event.message.rstrip())
        except AwsError:
            return []
        return list(found)

    def events(self, group: str, start_ms: int) -> Iterator[Event]:
        """Every event at or after `start_ms`, oldest first, following the pagination tokens."""
        token: str | None = None
        while True:
            extra = {"nextToken": token} if token else {}
            try:
                page = run(
                    f"read log group {group}",
                    self.api.filter_log_events,
                    logGroupName=group,
                    startTime=start_ms,
                    **extra,
                )
            except NotFoundError as exc:
                raise NotFoundError(
                    f"logs: log group {group} does not exist",
                    operation=exc.operation,
                    code=exc.code,
                    hint="the service has not been deployed to this environment yet",
                ) from exc
            found = sorted(
                page.get("events", []), key=lambda e: (e.get("timestamp", 0), e.get("eventId", ""))
            )
            for item in found:
                yield Event(
                    int(item.get("timestamp", 0)),
                    str(item.get("eventId", "")),
                    str(item.get("logStreamName", "")),
                    str(item.get("message", "")),
                )
            token = page.get("nextToken")
            if not token:
                return
