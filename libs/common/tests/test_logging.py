"""Log output: JSON lines for machines, short lines for people, and no stacking of handlers."""

from __future__ import annotations

import io
import json
import logging
import time

from homestack_common import configure_logging
from homestack_common.logging import ServiceLogHandler, flush_logs


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
