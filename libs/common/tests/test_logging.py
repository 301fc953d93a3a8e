"""Log output: JSON lines for machines, short lines for people, and no stacking of handlers."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import threading
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homestack_common import ServiceSettings, configure_logging, create_app, settings_provider
from homestack_common.logging import (
    JsonFormatter,
    ServiceLogHandler,
    escape_controls,
    flush_logs,
    iso_timestamp,
    log_access,
)
from homestack_common.testing import client_for


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


# What ends a line or drives a terminal: C0 controls, DEL, C1 controls and the Unicode line separators.
_CONTROLS = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))] + ["\u2028", "\u2029"]


@given(st.text(alphabet=st.sampled_from([*_CONTROLS, "a", "\\", " ", "é", "\U0001f600"]), max_size=60))
def test_escaped_text_holds_no_control_character_and_stays_one_line(text: str) -> None:
    escaped = escape_controls(text)
    assert not any(char in escaped for char in _CONTROLS)
    assert len(escaped.splitlines()) <= 1


@given(st.text(alphabet=st.characters(blacklist_characters=_CONTROLS)))
def test_text_without_control_characters_is_left_as_it_is(text: str) -> None:
    assert escape_controls(text) == text


def test_controls_are_written_as_visible_escapes() -> None:
    assert escape_controls("a\nb\rc\td\x1b[31me\x85f\x9b2Kg\u2028h\x00") == (
        "a\\nb\\rc\\td\\x1b[31me\\x85f\\x9b2Kg\\u2028h\\x00"
    )


def _text_lines(stream: io.StringIO) -> list[str]:
    flush_logs()
    return stream.getvalue().split("\n")[:-1]


def test_a_text_record_is_one_line_whatever_its_message_and_extras_hold() -> None:
    stream = io.StringIO()
    configure_logging("svc", "info", "text", stream=stream)
    logging.getLogger("x").warning("user %s", "eve\n12:00:00 INFO    forged", extra={"agent": "a\r\x1b[2Kb"})
    [line] = _text_lines(stream)
    assert line.endswith("user eve\\n12:00:00 INFO    forged  agent=a\\r\\x1b[2Kb")


def test_a_traceback_follows_its_record_indented_so_no_line_of_it_passes_for_a_record() -> None:
    stream = io.StringIO()
    configure_logging("svc", "info", "text", stream=stream)
    try:
        raise ValueError("bad input\n12:00:00 INFO    forged\x1b[31m")
    except ValueError:
        logging.getLogger("x").exception("failed")
    first, *rest = _text_lines(stream)
    assert first.endswith("ERROR   failed")
    assert rest[0] == "    Traceback (most recent call last):"
    assert all(line.startswith("    ") for line in rest)
    assert "    12:00:00 INFO    forged\\x1b[31m" in rest


def test_a_request_path_cannot_forge_a_line_in_the_text_log(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)  # where a service's lifespan points its log
    provider = settings_provider(ServiceSettings)
    app = create_app(name="svc", settings=provider)
    with provider.override(ServiceSettings(log_format="text")), client_for(app) as client:
        response = client.get("/x%0D%0A12:00:00%20INFO%20%20%20%20forged%1B[2K%C2%85")
    assert response.status_code == 404
    lines = _text_lines(stream)
    [access] = [line for line in lines if "path=/x" in line]  # (httpx logs the encoded URL too)
    assert re.match(r"\d\d:\d\d:\d\d INFO    GET /x\\r\\n12:00:00 INFO    forged\\x1b\[2K\\x85 404  ", access)
    assert "path=/x\\r\\n12:00:00 INFO    forged\\x1b[2K\\x85 " in access
    assert not any(line.startswith("12:00:00") for line in lines)


def test_the_json_format_escapes_every_control_character_too() -> None:
    stream = io.StringIO()
    configure_logging("svc", "info", "json", stream=stream)
    hostile = "".join(_CONTROLS)
    logging.getLogger("x").info("m %s", hostile, extra={"agent": hostile})
    log_access("rid", "GET", "/" + hostile, 404, 1.0, 0, hostile)
    flush_logs()
    text = stream.getvalue()
    assert not any(char in text for char in _CONTROLS if char != "\n")
    lines = text.splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["message"] for line in lines] == [f"m {hostile}", f"GET /{hostile} 404"]
