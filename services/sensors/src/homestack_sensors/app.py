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
from homestack_sensors.config import Settings, get_settings
from homestack_sensors.reader import Reader
from homestack_sensors.routes import router

logger = logging.getLogger("homestack.sensors")


def _cursor_key(settings: Settings) -> bytes:
    """The key that signs pagination cursors: CURSOR_KEY, or off ECS a key of this process's own."""
    if settings.cursor_key is not None:
        return settings.cursor_key.get_secret_value().encode()
    if settings.on_ecs:
        # Behind the shared load balancer a client's next page goes to any task: with a key per task,
        # every page after the first would be refused (400 invalid_cursor) by the other tasks.
        raise ConfigurationError(
            "sensors configuration is invalid: CURSOR_KEY is not set, and on Amazon ECS every task of the "
            "service must sign pagination cursors with the same key, or a cursor one task issues is refused "
            "by the next",
            hint="give the service a CURSOR_KEY secret of at least 16 random bytes (e.g. an SSM "
            "SecureString), the same for every task, then deploy again",
        )
    logger.warning(
        "CURSOR_KEY is not set: cursors are valid only on this process "
        "(fine for one process; every task of a deployed service needs the same key)"
    )
    return secrets.token_bytes(32)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open one shared DynamoDB client and the read path for the life of the process."""
    settings = get_settings()
    cursor_key = _cursor_key(settings)
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
