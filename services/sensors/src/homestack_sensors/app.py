"""The sensors service app: `uvicorn homestack_sensors.app:app` (settings are read at startup)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import CapacityLimiter
from fastapi import FastAPI

from homestack_common import ConfigurationError, create_app
from homestack_sensordata import RegionNotSetError, SensorStore, dynamodb_client
from homestack_sensors.config import get_settings
from homestack_sensors.reader import Reader
from homestack_sensors.routes import router

logger = logging.getLogger("homestack.sensors")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open one shared DynamoDB client and the read path for the life of the process."""
    settings = get_settings()
    if settings.cursor_key is None:
        logger.warning("CURSOR_KEY is not set: cursors are valid only on this process")
        cursor_key = secrets.token_bytes(32)
    else:
        cursor_key = settings.cursor_key.get_secret_value().encode()
    try:
        client = dynamodb_client(
            settings.aws_region,
            settings.dynamodb_endpoint_url,
            max_pool_connections=settings.dynamodb_concurrency,
        )
    except RegionNotSetError as exc:
        raise ConfigurationError(f"sensors configuration is invalid: {exc}") from None
    store = SensorStore(
        client,
        sensors_table=settings.sensor_table,
        readings_table=settings.readings_table,
        cursor_key=cursor_key,
    )
    limiter = CapacityLimiter(settings.dynamodb_concurrency)
    reader = Reader(store, limiter, settings.cache_ttl, settings.cache_entries)
    app.state.reader = reader
    try:
        yield
    finally:
        await reader.close()
        client.close()


app = create_app(
    name="sensors",
    settings=get_settings,
    routers=[router],
    lifespan=lifespan,
    title="homestack sensors",
    description="Latest snapshot and reading history of every home sensor.",
)
