"""Log output: JSON lines for machines, short lines for people, and no stacking of handlers."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from homestack_common import configure_logging
from homestack_common.logging import JsonFormatter, ServiceLogHandler, flush_logs, iso_timestamp, log_access


def _ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, ServiceLogHandler)]


def test_json_format_is_one_object_per_line_with_extras() -> None:
    stream = io.StringIO()
    configure_logging("svc", "info", "json", stream=stream)
    logging.getLogger("x").info("hello %s", "world", extra={"request_id": "r1"})
    flush_logs()
    entry = json.loads(stream.getvalue().strip())
    assert entry["message"] == "hello world"
    assert entry["service"] == "svc"
    assert entry["level"] == "info"
    assert entry["request_id"] == "r1"


def test_text_format_is_readable_in_a_terminal() -> None:
    stream = io.StringIO()
    configure_logging("svc", "info", "text", stream=stream)
    logging.getLogger("x").warning("disk low", extra={"free_mb": 12})
    flush_logs()
    line = stream.getvalue().strip()
    assert "WARNING" in line
    assert line.endswith("disk low  free_mb=12")


def test_configuring_twice_replaces_the_handler_and_respects_the_level() -> None:
    stream = io.StringIO()
    configure_logging("svc", "info", "json", stream=io.StringIO())
    configure_logging("svc", "error", "json", stream=stream)
    assert len(_ours()) == 1
    logging.getLogger("x").info("quiet")
    logging.getLogger("x").error("loud")
    flush_logs()
    lines = stream.getvalue().strip().splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["loud"]
    assert logging.getLogger("uvicorn.access").disabled


def test_a_burst_of_records_is_written_completely_and_in_order() -> None:
    stream = io.StringIO()
    configure_logging("svc", "info", "json", stream=stream)
    for number in range(2000):
        logging.getLogger("x").info("line %d", number)
    flush_logs()
    numbers = [int(json.loads(line)["message"].split()[1]) for line in stream.getvalue().splitlines()]
    assert numbers == list(range(2000))


class _SlowStream(io.StringIO):
    def write(self, text: str) -> int:
        time.sleep(0.2)
        return super().write(text)


def test_logging_never_waits_for_a_slow_stdout() -> None:
    stream = _SlowStream()
    configure_logging("svc", "info", "json", stream=stream)
    started = time.perf_counter()
    for number in range(50):
        logging.getLogger("x").info("line %d", number)
    elapsed = time.perf_counter() - started
    flush_logs()
    assert elapsed < 0.2
    assert len(stream.getvalue().splitlines()) == 50


def _as_record(fields: dict[str, object]) -> logging.LogRecord:
    message = f"{fields['method']} {fields['path']} {fields['status']}"
    return logging.makeLogRecord({"name": "homestack.access", "levelno": 20, "levelname": "INFO",
                                  "msg": message, **fields})  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    request_id=st.from_regex(r"[A-Za-z0-9._-]{1,128}", fullmatch=True),
    method=st.sampled_from(["GET", "POST", "DELETE"]),
    path=st.text(max_size=200),
    status=st.integers(100, 599),
    duration_ms=st.floats(0, 1e6, allow_nan=False).map(lambda v: round(v, 2)),
    size=st.integers(0, 10**9),
    client=st.none() | st.text(max_size=50),
)
def test_the_direct_access_line_is_what_the_formatter_writes_for_the_same_fields(
    request_id: str, method: str, path: str, status: int, duration_ms: float, size: int, client: str | None
) -> None:
    formatter = JsonFormatter('sens"ors')
    fields: dict[str, object] = {"request_id": request_id, "method": method, "path": path, "status": status,
                                 "duration_ms": duration_ms, "bytes": size, "client": client}  # fmt: skip
    direct = formatter.access_line(request_id, method, path, status, duration_ms, size, client)
    via_record = formatter.format(_as_record(fields))
    assert "\n" not in direct
    parsed, expected = json.loads(direct), json.loads(via_record)
    assert parsed.pop("ts")[:16] == expected.pop("ts")[:16]  # the same minute; the clocks differ a little
    assert parsed == expected
    assert list(parsed) == list(expected)


def test_access_lines_are_written_by_our_handler_in_order_with_other_records() -> None:
    stream = io.StringIO()
    configure_logging("svc", "info", "json", stream=stream)
    logging.getLogger("x").info("before")
    log_access("rid-1", "GET", '/a"b', 200, 1.5, 10, "127.0.0.1")
    logging.getLogger("x").info("after")
    flush_logs()
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e["message"] for e in entries] == ["before", 'GET /a"b 200', "after"]
    access = entries[1]
    assert access["logger"] == "homestack.access"
    assert access["service"] == "svc"
    assert (access["request_id"], access["path"], access["duration_ms"], access["bytes"]) == (
        "rid-1",
        '/a"b',
        1.5,
        10,
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", access["ts"])


def test_access_lines_follow_the_level_and_reach_every_other_handler() -> None:
    stream = io.StringIO()
    configure_logging("svc", "warning", "json", stream=stream)
    log_access("rid-quiet", "GET", "/", 200, 0.1, 0, None)
    flush_logs()
    assert stream.getvalue() == ""
    configure_logging("svc", "info", "text", stream=stream)
    log_access("rid-text", "GET", "/t", 404, 0.1, 0, None)
    flush_logs()
    assert "GET /t 404" in stream.getvalue()
    assert "request_id=rid-text" in stream.getvalue()


@given(st.floats(0, 4_000_000_000, allow_nan=False))
def test_timestamps_match_datetime_isoformat(epoch: float) -> None:
    expected = datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
    assert iso_timestamp(epoch) == expected


def test_timestamps_are_utc_with_milliseconds() -> None:
    assert iso_timestamp(0.0) == "1970-01-01T00:00:00.000+00:00"
    assert iso_timestamp(1_790_000_000.9876) == "2026-09-21T14:13:20.987+00:00"
    assert iso_timestamp(1_790_000_001.0) == "2026-09-21T14:13:21.000+00:00"


def test_closing_writes_everything_queued_and_answers_every_flush() -> None:
    stream = io.StringIO()
    configure_logging("svc", "info", "json", stream=stream)
    (handler,) = _ours()
    for number in range(100):
        logging.getLogger("x").info("line %d", number)
    handler.close()
    started = time.perf_counter()
    handler.flush()  # after close: returns at once instead of waiting out its timeout
    assert time.perf_counter() - started < 0.5
    assert len(stream.getvalue().splitlines()) == 100
    logging.getLogger().removeHandler(handler)


def test_access_lines_respect_filters_and_propagation_on_the_way_to_the_handler() -> None:
    stream = io.StringIO()
    configure_logging("svc", "info", "json", stream=stream)
    access = logging.getLogger("homestack.access")

    class DropAll(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return False

    drop = DropAll()
    access.addFilter(drop)
    try:
        log_access("rid-filtered", "GET", "/f", 200, 0.1, 0, None)
    finally:
        access.removeFilter(drop)
    access.propagate = False
    try:
        log_access("rid-unpropagated", "GET", "/p", 200, 0.1, 0, None)
    finally:
        access.propagate = True
    log_access("rid-plain", "GET", "/ok", 200, 0.1, 0, None)
    flush_logs()
    ids = [json.loads(line)["request_id"] for line in stream.getvalue().splitlines()]
    assert ids == ["rid-plain"]


def test_timestamps_from_two_threads_across_second_boundaries_are_right() -> None:
    stamps = [1_790_000_000 + i * 0.4999 for i in range(2000)]
    results: dict[int, list[str]] = {}

    def stamp_all(worker: int) -> None:
        results[worker] = [iso_timestamp(epoch) for epoch in (stamps if worker else reversed(stamps))]

    threads = [threading.Thread(target=stamp_all, args=(worker,)) for worker in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds") for epoch in stamps]
    assert results[1] == expected
    assert results[0] == expected[::-1]
