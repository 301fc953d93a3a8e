"""A tiny ASGI service the local-cloud tests run as a real process (no framework needed)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]


async def app(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/crash":
        sys.stdout.write("tiny: crashing on request\n")
        sys.stdout.flush()
        os._exit(3)
    if path == "/health":
        healthy = os.environ.get("TINY_UNHEALTHY") != "1"
        await _reply(send, 200 if healthy else 500, b"ok" if healthy else b"sick", "text/plain")
        return
    if path == "/events":
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        for n in range(3):
            await send({"type": "http.response.body", "body": f"data: {n}\n\n".encode(), "more_body": True})
            await asyncio.sleep(0.4)
        await send({"type": "http.response.body", "body": b""})
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    answer = {
        "name": os.environ.get("TINY_NAME", "tiny"),
        "version": os.environ.get("APP_VERSION", ""),
        "pid": os.getpid(),
        "method": scope["method"],
        "path": path,
        "query": scope["query_string"].decode(),
        "body": body.decode(),
        "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
        "env": {
            k: v for k, v in os.environ.items() if k.startswith(("AWS_", "TINY_", "HTTP_PROXY", "NO_PROXY"))
        },
    }
    await _reply(send, 200, json.dumps(answer).encode(), "application/json")


async def _reply(send: Callable[[Message], Awaitable[None]], status: int, body: bytes, kind: str) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", kind.encode())]}
    )
    await send({"type": "http.response.body", "body": body})


sys.stdout.write(f"tiny: loaded in {sys.executable}\n")
