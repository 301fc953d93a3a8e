"""The ingest service: `uvicorn homestack_ingest.app:app`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from homestack_common import create_app
from homestack_ingest.auth import ConfigError
from homestack_ingest.routes import BODY_COMPONENTS, router
from homestack_ingest.runtime import build
from homestack_ingest.settings import get_settings

logger = logging.getLogger("homestack.ingest")


class StartupRefusedError(RuntimeError):
    """Raised from startup after the reason has been logged as one clear line."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.startup_refused = False
    try:
        # Creating a boto3 client reads model files from disk: keep it off the event loop.
        ingest = await anyio.to_thread.run_sync(build, get_settings())
    except ConfigError as exc:
        logger.error(str(exc))  # one clear line; a traceback would add nothing
        app.state.startup_refused = True
        raise StartupRefusedError(str(exc)) from None
    app.state.ingest = ingest
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(ingest.close)


class QuietStartupRefusal:
    """Pure ASGI: when startup was refused for a reason already logged, keep the traceback Starlette
    attaches to `lifespan.startup.failed` out of the server's log (it would repeat the reason as noise)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_quietly(message: Message) -> None:
            refused = getattr(scope["app"].state, "startup_refused", False) if "app" in scope else False
            if message["type"] == "lifespan.startup.failed" and refused:
                message = {"type": "lifespan.startup.failed", "message": ""}
            await send(message)

        await self.app(scope, receive, send_quietly)


def _openapi_with_body_components(app: FastAPI) -> None:
    default = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(BODY_COMPONENTS)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


app = create_app(
    name="ingest",
    settings=get_settings,
    routers=[router],
    lifespan=lifespan,
    description="Authenticated, validated, idempotent writes of sensor readings.",
)
_openapi_with_body_components(app)
app.add_middleware(QuietStartupRefusal)
