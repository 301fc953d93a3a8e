"""Test helpers shipped with the package, so every service tests itself the same way."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from homestack_common.logging import JsonFormatter


def client_for(app: FastAPI, *, raise_server_exceptions: bool = False) -> TestClient:
    """A TestClient that sees crashes the way a real caller does (a JSON 500), unless asked not to."""
    return TestClient(app, raise_server_exceptions=raise_server_exceptions)


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[dict[str, Any]]) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink
        self.setFormatter(JsonFormatter("test"))

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(json.loads(self.format(record)))


@contextmanager
def capture_logs(level: int = logging.DEBUG) -> Iterator[list[dict[str, Any]]]:
    """Collect every log record emitted inside the block, as the JSON objects a service would print."""
    records: list[dict[str, Any]] = []
    handler = _ListHandler(records)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def free_port() -> int:
    """A loopback port nothing listens on right now (the OS picks it, so parallel runs do not clash)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
