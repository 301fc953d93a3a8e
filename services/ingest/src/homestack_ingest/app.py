"""The ingest service: `uvicorn homestack_ingest.app:app`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI

from homestack_common import create_app
from homestack_ingest.routes import BODY_COMPONENTS, router
from homestack_ingest.runtime import build
from homestack_ingest.settings import get_settings

logger = logging.getLogger("homestack.ingest")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Creating a boto3 client reads model files from disk: keep it off the event loop. A ConfigError
    # (no usable key, no region) stops startup with one clear line (homestack_common handles it).
    ingest = await anyio.to_thread.run_sync(build, get_settings())
    app.state.ingest = ingest
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(ingest.close)


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
