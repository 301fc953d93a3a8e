"""Test helpers shipped with the package, so every service tests itself the same way."""

from __future__ import annotations

import asyncio
import cProfile
import json
import logging
import pstats
import socket
from collections.abc import Awaitable, Callable, Iterator
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


AsgiApp = Callable[[dict[str, Any], Callable[[], Awaitable[dict[str, Any]]], Any], Awaitable[None]]


def _get_scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"in-process"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _get_many(app: AsgiApp, path: str, count: int) -> set[int]:
    statuses: set[int] = set()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    template = _get_scope(path)
    for _ in range(count):
        await app(dict(template), receive, send)
    return statuses


def get_in_process(app: AsgiApp, path: str, count: int = 1) -> set[int]:
    """Send `count` GET `path` requests straight to the ASGI app, one after another (no server, no
    socket, no lifespan); return the response statuses seen."""
    return asyncio.run(_get_many(app, path, count))


def calls_per_request(app: AsgiApp, path: str, count: int) -> float:
    """Python function calls (cProfile's count) per GET `path`, over `count` in-process requests.

    Unlike time, the count does not move with the machine's load. Fails unless every answer is 200.
    """
    profile = cProfile.Profile()
    profile.enable()
    statuses = get_in_process(app, path, count)
    profile.disable()
    if statuses != {200}:
        raise AssertionError(f"GET {path} answered {sorted(statuses)}, expected only 200")
    # asyncio.run's own calls are the same for every app and small next to `count` requests.
    return float(pstats.Stats(profile).total_calls) / count  # type: ignore[attr-defined]


def free_port() -> int:
    """A loopback port nothing listens on right now (the OS picks it, so parallel runs do not clash)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
