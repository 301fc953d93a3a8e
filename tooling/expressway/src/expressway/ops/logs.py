"""`expressway logs SERVICE [--follow] [--since 10m] [--json]`: a service's CloudWatch lines as columns
people read (a service's JSON log records; anything else passes through)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from expressway.aws.logs import Event, Logs
from expressway.deploy.waiting import Clock
from expressway.errors import UsageError

# Fields shown in their own columns, or not at all (the service name is the same on every line).
_SHOWN = ("ts", "level", "message", "service", "logger")
_ACCESS = ("status", "duration_ms", "request_id")
_SINCE = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, now: datetime) -> datetime:
    """`10m`, `2h`, `30s`, `1d` before `now`, or an ISO time; UsageError otherwise."""
    match = _SINCE.match(text.strip())
    if match:
        try:
            return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        except OverflowError:  # timedelta and datetime stop at 999999999 days and the year 1
            raise UsageError(
                f"--since {text.strip()}: reaches back before the year 1, further than any log",
                hint="use a shorter duration, e.g. 30d, or a time like 2026-11-26T10:00",
            ) from None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--since {text}: not a duration or time", hint="use e.g. 30s, 10m, 2h, 1d or 2026-11-26T10:00"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _clock(record_ts: object, event_ms: int) -> str:
    if isinstance(record_ts, str):
        try:
            return datetime.fromisoformat(record_ts).astimezone(UTC).strftime("%H:%M:%S.%f")[:-3]
        except ValueError:
            pass
    return datetime.fromtimestamp(event_ms / 1000, UTC).strftime("%H:%M:%S.%f")[:-3]


def _value(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return f'"{text}"' if " " in text or not text else text


def format_line(message: str, timestamp_ms: int) -> str:
    """One CloudWatch event as a readable line: `time level message  key=value ...`.

    Access-log records (status, duration, request id) get those first; a non-JSON line keeps its text.
    A traceback in `exception` follows on indented lines.
    """
    text = message.rstrip("\n")
    record: object = None
    if text.startswith("{"):
        try:
            record = json.loads(text)
        except ValueError:
            record = None
    if not isinstance(record, dict):
        return f"{_clock(None, timestamp_ms)} {'':<7} {text}"
    level = str(record.get("level", "")).upper()
    words = [str(record.get("message", ""))]
    if "status" in record and "duration_ms" in record:
        words.append(f"{record['status']} {record['duration_ms']}ms")
    extras = {k: v for k, v in record.items() if k not in _SHOWN and k not in ("exception", *_ACCESS[:2])}
    words += [f"{k}={_value(v)}" for k, v in extras.items() if v is not None]
    line = f"{_clock(record.get('ts'), timestamp_ms)} {level:<7} {'  '.join(words)}"
    trace = record.get("exception")
    if isinstance(trace, str) and trace:
        line += "".join(f"\n    {part}" for part in trace.splitlines())
    return line


def tail(
    logs: Logs,
    group: str,
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
    start = max(0, int(since.timestamp() * 1000))  # CloudWatch counts from 1970: nothing is older
    shown: set[str] = set()
    count = 0
    while True:
        found: list[Event] = list(logs.events(group, start))
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
