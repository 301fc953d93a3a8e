"""`expressway logs SERVICE [--follow] [--since 10m] [--json]`: a service's CloudWatch lines, readable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from expressway.aws.cwlogs import Event, LogReader
from expressway.deploy.waiting import Clock
from expressway.ops.logformat import format_line


def tail(
    reader: LogReader,
    since: datetime,
    emit: Callable[[str], None],
    *,
    raw: bool = False,
    follow: bool = False,
    poll: float = 2.0,
    clock: Clock | None = None,
    until: Callable[[], bool] = lambda: False,
) -> int:
    """Write every event since `since` through `emit`; with `follow`, keep polling until `until()`.

    Returns how many lines were written. Events already shown are never repeated: CloudWatch may
    return the newest millisecond again on the next poll.
    """
    clock = clock or Clock()
    start = int(since.timestamp() * 1000)
    shown: set[str] = set()
    count = 0
    while True:
        found: list[Event] = list(reader.events(start))
        for event in found:
            if event.event_id not in shown:
                emit(event.message.rstrip("\n") if raw else format_line(event.message, event.timestamp))
                count += 1
        if found:
            # The next read starts at the newest millisecond seen, so only its events can come again.
            start = found[-1].timestamp
            shown = {e.event_id for e in found if e.timestamp == start}
        if not follow or until():
            return count
        clock.sleep(poll)
