"""Log output: JSON lines for machines, short lines for people, and no stacking of handlers."""

from __future__ import annotations

import io
import json
import logging

from homestack_common import configure_logging
from homestack_common.logging import ServiceLogHandler


def _ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, ServiceLogHandler)]


def test_json_format_is_one_object_per_line_with_extras() -> None:
    stream = io.StringIO()
    configure_logging("svc", "info", "json", stream=stream)
    logging.getLogger("x").info("hello %s", "world", extra={"request_id": "r1"})
    entry = json.loads(stream.getvalue().strip())
    assert entry["message"] == "hello world"
    assert entry["service"] == "svc"
    assert entry["level"] == "info"
    assert entry["request_id"] == "r1"


def test_text_format_is_readable_in_a_terminal() -> None:
    stream = io.StringIO()
    configure_logging("svc", "info", "text", stream=stream)
    logging.getLogger("x").warning("disk low", extra={"free_mb": 12})
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
    lines = stream.getvalue().strip().splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["loud"]
    assert logging.getLogger("uvicorn.access").disabled
