"""What the shared stack costs a request, counted in Python calls (a figure that does not drift with load).

`python -m bench.sensors.stack` measured our `/health` at 300 calls per request to FastAPI hello world's
258 (x1.16) and the same hello world through `include_router` at 342 (x1.33). The budget below fails
when a change to the stack (the access line, request ids, route placement, error handling) makes every
request noticeably dearer; an upgrade of FastAPI or Starlette may move both sides and needs a new look.
"""

from __future__ import annotations

import asyncio
import cProfile
import logging
import os
import pstats
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI

from homestack_common import ServiceSettings, configure_logging, create_app, settings_provider
from homestack_common.logging import ServiceLogHandler

BUDGET = 1.25  # our /health may cost at most this many times hello world's calls per request
REQUESTS = 500


def _hello() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


async def _serve(app: Any, count: int) -> None:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/health", "raw_path": b"/health", "query_string": b"",
        "root_path": "", "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    statuses: set[int] = set()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    for _ in range(count):
        await app(dict(scope), receive, send)
    assert statuses == {200}


def _calls_per_request(app: Any) -> float:
    asyncio.run(_serve(app, 50))  # warm up
    profile = cProfile.Profile()
    profile.enable()
    asyncio.run(_serve(app, REQUESTS))
    profile.disable()
    return float(pstats.Stats(profile).total_calls) / REQUESTS  # type: ignore[attr-defined]


@contextmanager
def service_logging_only() -> Iterator[None]:
    """Logging as in a running service: our handler alone on the root (pytest's capture handlers, which
    it adds around the test body, set aside meanwhile)."""
    root = logging.getLogger()
    others = [h for h in root.handlers if not isinstance(h, ServiceLogHandler)]
    for handler in others:
        root.removeHandler(handler)
    with open(os.devnull, "w") as sink:
        configure_logging("demo", "info", "json", stream=sink)
        try:
            yield
        finally:
            for handler in [h for h in root.handlers if isinstance(h, ServiceLogHandler)]:
                root.removeHandler(handler)
                handler.close()
            for handler in others:
                root.addHandler(handler)


def test_a_request_through_the_shared_stack_stays_within_its_call_budget() -> None:
    get_settings = settings_provider(ServiceSettings)
    with service_logging_only():
        ours = _calls_per_request(create_app(name="demo", settings=get_settings))
        hello = _calls_per_request(_hello())
    assert ours <= BUDGET * hello, f"{ours:.0f} calls per request vs hello world's {hello:.0f}"
