"""Log lines for people: JSON records from homestack_common as columns, other text untouched."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from expressway.errors import UsageError
from expressway.ops.logs import format_line, parse_since

T_MS = int(datetime(2026, 11, 26, 10, 0, 5, 250000, tzinfo=UTC).timestamp() * 1000)


def _record(message: str, **extra: object) -> str:
    """The shape homestack_common's JsonFormatter prints (ts, level, service, logger, message, extras)."""
    head = {"ts": "2026-11-26T10:00:05.250+00:00", "level": "info", "service": "sensors",
            "logger": "homestack.access", "message": message}  # fmt: skip
    return json.dumps({**head, **extra}, separators=(",", ":"))


def test_access_records_show_time_level_request_status_and_duration() -> None:
    raw = _record("GET /sensors 200", request_id="r-1", method="GET", path="/sensors", status=200,
                  duration_ms=3.5, bytes=120, client="10.0.0.9")  # fmt: skip
    line = format_line(raw, T_MS)
    assert line.startswith("10:00:05.250 INFO    GET /sensors 200  200 3.5ms  ")
    assert "request_id=r-1" in line
    assert "path=/sensors" in line
    assert "service=" not in line


def test_plain_text_lines_pass_through_with_the_event_time() -> None:
    assert (
        format_line("Started server process [1]\n", T_MS) == "10:00:05.250         Started server process [1]"
    )
    assert format_line("{not json", T_MS).endswith(" {not json")


def test_exceptions_follow_on_indented_lines_and_spaced_values_are_quoted() -> None:
    raw = json.dumps({"ts": "2026-11-26T10:00:05.250+00:00", "level": "error", "message": "boom",
                      "exception": "Traceback\n  File x\nValueError: bad", "note": "two words"})  # fmt: skip
    assert format_line(raw, 0) == (
        '10:00:05.250 ERROR   boom  note="two words"\n    Traceback\n      File x\n    ValueError: bad'
    )


def test_since_accepts_durations_and_times_and_explains_bad_input() -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert parse_since("10m", now) == datetime(2026, 11, 26, 11, 50, tzinfo=UTC)
    assert parse_since("2h", now) == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert parse_since("2026-11-26T09:30", now) == datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    with pytest.raises(UsageError, match="--since soon: not a duration or time"):
        parse_since("soon", now)
