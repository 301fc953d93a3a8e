"""CloudWatch Logs reads for `expressway logs`: events of a log group since a time, in order, paged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from expressway.aws.session import client, run
from expressway.errors import NotFoundError
from expressway.registry import Environment


@dataclass(frozen=True)
class Event:
    """One log event: when it was logged (ms since the epoch), its id, stream and text."""

    timestamp: int
    event_id: str
    stream: str
    message: str


class LogReader:
    """Reads one log group (FilterLogEvents across all its streams, interleaved by time)."""

    def __init__(self, env: Environment, group: str) -> None:
        self.api = client(env, "logs")
        self.group = group

    def events(self, start_ms: int) -> Iterator[Event]:
        """Every event at or after `start_ms`, oldest first, following the pagination tokens."""
        token: str | None = None
        while True:
            extra = {"nextToken": token} if token else {}
            try:
                page = run(
                    f"read log group {self.group}",
                    self.api.filter_log_events,
                    logGroupName=self.group,
                    startTime=start_ms,
                    **extra,
                )
            except NotFoundError as exc:
                raise NotFoundError(
                    f"logs: log group {self.group} does not exist",
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
