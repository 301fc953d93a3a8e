"""The service's read path: DynamoDB calls in worker threads, snapshots cached, store errors mapped."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import TypeAdapter

from homestack_common import ApiError, TtlCache
from homestack_sensordata import (
    InvalidCursorError,
    ReadingOut,
    SensorSnapshot,
    SensorStore,
    UnreadablePageError,
)

logger = logging.getLogger("homestack.sensors")
T = TypeVar("T")

PAGE_ENTRIES = 256
_snapshots_json = TypeAdapter(list[SensorSnapshot])
_readings_json = TypeAdapter(list[ReadingOut])


def _rendered(snapshot: SensorSnapshot | None) -> bytes | None:
    """A snapshot as the JSON body `GET /sensors/{id}` sends (None: the sensor is unknown)."""
    return None if snapshot is None else snapshot.model_dump_json().encode()


@dataclass(frozen=True)
class JsonPage:
    """A page already rendered as the JSON body, with the cursor for the next page (None when last)."""

    body: bytes
    next_cursor: str | None


class Reader:
    """What the routes call. Cached values are rendered JSON, so a cache hit costs no serialisation."""

    def __init__(self, store: SensorStore, limiter: CapacityLimiter, ttl: float, max_entries: int) -> None:
        self.store = store
        self._limiter = limiter
        # Hot snapshots are refreshed together, with one BatchGetItem per 100 sensors.
        self._snapshots: TtlCache[str, bytes | None] = TtlCache(
            ttl, max_entries, load_many=self._snapshots_json
        )
        # A page can hold 1000 snapshots; few are hot (the first page of each client's usual limit), and
        # a small bound keeps a caller walking every (limit, cursor) pair from filling memory.
        self._pages: TtlCache[tuple[int, str | None], JsonPage] = TtlCache(
            ttl, min(max_entries, PAGE_ENTRIES)
        )

    async def _call(self, fn: Callable[[], T]) -> T:
        """Run a blocking store call in a worker thread; turn its failures into API errors."""
        try:
            return await anyio.to_thread.run_sync(fn, limiter=self._limiter)
        except InvalidCursorError as exc:
            raise ApiError(400, f"invalid cursor: {exc}", code="invalid_cursor") from exc
        except (BotoCoreError, ClientError) as exc:
            logger.error("sensor store call failed", extra={"error": str(exc)})
            raise ApiError(503, "sensor store unavailable: DynamoDB did not answer, try again") from exc
        except UnreadablePageError as exc:
            logger.error("sensor store page unreadable", extra={"error": str(exc)})
            raise ApiError(503, f"sensor store unavailable: {exc}") from exc

    async def sensor_json(self, sensor_id: str) -> bytes | None:
        """The snapshot of `sensor_id` as JSON, or None when the sensor is unknown (cached either way)."""

        async def load() -> bytes | None:
            return _rendered(await self._call(partial(self.store.get_sensor, sensor_id)))

        return await self._snapshots.get(sensor_id, load)

    async def _snapshots_json(self, sensor_ids: list[str]) -> dict[str, bytes | None]:
        found = await self._call(partial(self.store.get_sensors, sensor_ids))
        return {sensor_id: _rendered(snapshot) for sensor_id, snapshot in found.items()}

    async def sensors_page(self, limit: int, cursor: str | None) -> JsonPage:
        """One page of snapshots as a JSON list."""

        async def load() -> JsonPage:
            page = await self._call(partial(self.store.list_sensors, limit, cursor))
            return JsonPage(_snapshots_json.dump_json(page.items), page.next_cursor)

        return await self._pages.get((limit, cursor), load)

    async def close(self) -> None:
        """Stop cache refreshes in flight (call before closing the store's client)."""
        await self._snapshots.aclose()
        await self._pages.aclose()

    async def readings_page(
        self, sensor_id: str, since: datetime, until: datetime, limit: int, cursor: str | None
    ) -> JsonPage:
        """One page of a sensor's readings, oldest first (never cached: the window moves with `now`)."""
        page = await self._call(partial(self.store.query_readings, sensor_id, since, until, limit, cursor))
        return JsonPage(_readings_json.dump_json(page.items), page.next_cursor)
