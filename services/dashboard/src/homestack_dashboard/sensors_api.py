"""The sensors API as the dashboard sees it: one pooled HTTP client, deadlines, size caps, a short cache."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from homestack_common import TtlCache
from homestack_dashboard.models import Reading, Snapshot, parse_many, parse_one
from homestack_dashboard.settings import DashboardSettings

logger = logging.getLogger("homestack.dashboard.sensors_api")

NEXT_CURSOR = "X-Next-Cursor"
T = TypeVar("T")


class SensorsUnavailable(Exception):  # noqa: N818 - it names a state shown to people, not a bug
    """The sensors API could not answer now (down, slow, or answering nonsense); the reason says which."""


class SensorNotFound(Exception):  # noqa: N818
    """The sensors API says there is no sensor with this id."""


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _too_large(path: str, limit: int) -> SensorsUnavailable:
    logger.warning("sensors API answer over %d bytes", limit, extra={"path": path})
    return SensorsUnavailable(f"the sensors API sent an answer larger than {limit // 1024} KiB")


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "the sensors API did not answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "the sensors API cannot be reached"
    return f"the request to the sensors API failed ({type(exc).__name__})"


class SensorsApi:
    """Typed, cached reads of the sensors API. Every failure becomes SensorsUnavailable or SensorNotFound."""

    def __init__(
        self, settings: DashboardSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        timeout = httpx.Timeout(
            settings.read_timeout_seconds,
            connect=settings.connect_timeout_seconds,
            pool=settings.connect_timeout_seconds,
        )
        self._http = httpx.AsyncClient(
            base_url=str(settings.sensors_url).rstrip("/"),
            timeout=timeout,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "homestack-dashboard"},
            follow_redirects=False,
        )
        # Failures are kept as long as values, so an outage costs the API one request per TTL, not one
        # per visitor. No refresh ahead: pages poll anyway, and it would double the API's load.
        fresh, history = settings.cache_ttl_seconds, settings.history_ttl_seconds
        self._all: TtlCache[str, list[Snapshot]] = TtlCache(fresh, failure_ttl=fresh, refresh_ahead=False)
        self._one: TtlCache[str, Snapshot] = TtlCache(fresh, failure_ttl=fresh, refresh_ahead=False)
        self._history: TtlCache[tuple[str, timedelta], list[Reading]] = TtlCache(
            history, failure_ttl=fresh, refresh_ahead=False
        )

    async def aclose(self) -> None:
        """Close the pooled connections (at app shutdown)."""
        await self._http.aclose()

    async def _within_deadline(self, load: Callable[[], Awaitable[T]]) -> T:
        """`load()`, given up after the load deadline: every page of it, however slowly bytes arrive.

        httpx's read timeout bounds each read alone, so an API that sends a byte every few seconds would
        hold the load (and every visitor waiting on it) for as long as it likes.
        """
        deadline = self.settings.load_deadline_seconds
        try:
            async with asyncio.timeout(deadline):
                return await load()
        except TimeoutError as exc:
            logger.warning("sensors API load took longer than %g s", deadline)
            raise SensorsUnavailable(f"the sensors API did not answer within {deadline:g} s") from exc

    async def _get(self, path: str, params: dict[str, str | int] | None = None) -> tuple[Any, httpx.Headers]:
        """The JSON body and headers of a 200 answer; its body is read up to `max_response_bytes`."""
        limit = self.settings.max_response_bytes
        try:
            async with self._http.stream("GET", path, params=params) as response:
                if response.status_code == 404:
                    raise SensorNotFound(path)
                if response.status_code != 200:
                    logger.warning("sensors API answered %s", response.status_code, extra={"path": path})
                    raise SensorsUnavailable(f"the sensors API answered HTTP {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise _too_large(path, limit)
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise _too_large(path, limit)
                headers = response.headers
        except httpx.HTTPError as exc:
            logger.warning("sensors API request failed", extra={"path": path, "error": repr(exc)})
            raise SensorsUnavailable(_describe(exc)) from exc
        try:
            return json.loads(body), headers
        except ValueError as exc:
            raise SensorsUnavailable("the sensors API answered with something that is not JSON") from exc

    async def _pages(self, path: str, params: dict[str, str | int]) -> list[Any]:
        """Every item of a paginated list, following X-Next-Cursor up to `max_pages` pages."""
        items: list[Any] = []
        cursor: str | None = None
        for _ in range(self.settings.max_pages):
            query = {**params, "limit": self.settings.page_size} | ({"cursor": cursor} if cursor else {})
            page, headers = await self._get(path, query)
            if not isinstance(page, list):
                raise SensorsUnavailable("the sensors API answered with an unexpected shape")
            items.extend(page)
            cursor = headers.get(NEXT_CURSOR)
            if not cursor:
                return items
        logger.warning(
            "stopped after %d pages: more items remain", self.settings.max_pages, extra={"path": path}
        )
        return items

    async def sensors(self) -> list[Snapshot]:
        """Every sensor's latest snapshot."""

        async def load() -> list[Snapshot]:
            return parse_many(Snapshot, await self._within_deadline(lambda: self._pages("/sensors", {})))

        return await self._all.get("sensors", load)

    async def sensor(self, sensor_id: str) -> Snapshot:
        """One sensor's latest snapshot; SensorNotFound if the API does not know it."""

        async def load() -> Snapshot:
            body, _ = await self._within_deadline(lambda: self._get(f"/sensors/{quote(sensor_id, safe='')}"))
            snapshot = parse_one(Snapshot, body)
            if snapshot is None:
                raise SensorsUnavailable("the sensors API answered with a malformed sensor")
            return snapshot

        return await self._one.get(sensor_id, load)

    async def readings(self, sensor_id: str, window: timedelta) -> list[Reading]:
        """The sensor's readings of the last `window`, oldest first (may lag by the history TTL: merge the
        latest snapshot in with `with_latest`)."""

        async def load() -> list[Reading]:
            # No `until`: a reading stamped a little ahead of this clock must still show.
            params: dict[str, str | int] = {"since": _iso(datetime.now(UTC) - window)}
            path = f"/sensors/{quote(sensor_id, safe='')}/readings"
            items = await self._within_deadline(lambda: self._pages(path, params))
            return sorted(parse_many(Reading, items), key=lambda reading: reading.ts)

        return await self._history.get((sensor_id, window), load)
