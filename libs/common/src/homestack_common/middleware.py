"""Request middleware: request ids, one access-log line per request, and JSON 500s for crashes."""

from __future__ import annotations

import logging
import random
import re
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from homestack_common.context import set_request_id
from homestack_common.errors import error_response
from homestack_common.logging import log_access

error_logger = logging.getLogger("homestack.errors")

REQUEST_ID_HEADER = "x-request-id"
# A caller's id is reused only if it is short and plain, so it cannot inject anything into logs.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def _incoming_request_id(scope: Scope) -> str:
    for key, value in scope.get("headers", ()):
        if key == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
    # Not a secret, only unique: random bits cost no system call (uuid4 reads os.urandom every time).
    return f"{random.getrandbits(128):032x}"


def _clean_startup_failure(scope: Scope, send: Send) -> Send:
    """A configuration problem stops the service with its message and hint, not a traceback."""

    async def send_clean(message: Message) -> None:
        if message["type"] == "lifespan.startup.failed" and getattr(
            scope["app"].state, "startup_error", None
        ):
            message = {**message, "message": ""}  # the reason is already logged, on one line
        await send(message)

    return send_clean


class RequestContextMiddleware:
    """Pure ASGI (so streamed responses such as server-sent events pass straight through)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, _clean_startup_failure(scope, send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope)
        set_request_id(request_id)
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 500, "started": False, "bytes": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
                state["status"] = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            elif message["type"] == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            error_logger.exception("unhandled error", extra={"request_id": request_id})
            if state["started"]:
                raise
            await error_response(500, "internal error: the request could not be completed")(
                scope, receive, send_with_id
            )
        finally:
            client = scope.get("client")
            log_access(
                request_id,
                scope["method"],
                scope["path"],
                state["status"],
                round((time.perf_counter() - started) * 1000, 2),
                state["bytes"],
                client[0] if client else None,
            )
            set_request_id(None)
