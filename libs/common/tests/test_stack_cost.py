"""What the shared stack costs a request, counted in Python calls (a figure that does not drift with load).

`python -m bench.sensors.stack` measured our `/health` at 300 calls per request to FastAPI hello world's
258 (x1.16) and the same hello world through `include_router` at 342 (x1.33). The budget below fails
when a change to the stack (the access line, request ids, route placement, error handling) makes every
request noticeably dearer; an upgrade of FastAPI or Starlette may move both sides and needs a new look.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI

from homestack_common import ServiceSettings, configure_logging, create_app, settings_provider
from homestack_common.logging import ServiceLogHandler
from homestack_common.testing import calls_per_request, get_in_process

BUDGET = 1.25  # our /health may cost at most this many times hello world's calls per request
REQUESTS = 500


def _hello() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


def _calls_per_request(app: FastAPI) -> float:
    get_in_process(app, "/health", 50)  # warm up
    return calls_per_request(app, "/health", REQUESTS)


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
