"""The sensors API as the dashboard sees it: one pooled HTTP client, timeouts, a short cache."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from homestack_dashboard.cache import TtlCache
from homestack_dashboard.models import Reading, Snapshot, parse_many, parse_one
from homestack_dashboard.settings import DashboardSettings

logger = logging.getLogger("homestack.dashboard.sensors_api")

NEXT_CURSOR = "X-Next-Cursor"


class SensorsUnavailable(Exception):  # noqa: N818 - it names a state shown to people, not a bug
    """The sensors API could not answer now (down, slow, or answering nonsense); the reason says which."""


class SensorNotFound(Exception):  # noqa: N818
    """The sensors API says there is no sensor with this id."""


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


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
        self._cache = TtlCache(settings.cache_ttl_seconds)
        self._history = TtlCache(settings.history_ttl_seconds)

    async def aclose(self) -> None:
        """Close the pooled connections (at app shutdown)."""
        await self._http.aclose()

    async def _get(self, path: str, params: dict[str, str | int] | None = None) -> httpx.Response:
        try:
            response = await self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            logger.warning("sensors API request failed", extra={"path": path, "error": repr(exc)})
            raise SensorsUnavailable(_describe(exc)) from exc
        if response.status_code == 404:
            raise SensorNotFound(path)
        if response.status_code != 200:
            logger.warning("sensors API answered %s", response.status_code, extra={"path": path})
            raise SensorsUnavailable(f"the sensors API answered HTTP {response.status_code}")
        return response

    async def _pages(self, path: str, params: dict[str, str | int]) -> list[Any]:
        """Every item of a paginated list, following X-Next-Cursor up to `max_pages` pages."""
        items: list[Any] = []
        cursor: str | None = None
        for _ in range(self.settings.max_pages):
            query = {**params, "limit": self.settings.page_size} | ({"cursor": cursor} if cursor else {})
            response = await self._get(path, query)
            try:
                page = response.json()
            except ValueError as exc:
                raise SensorsUnavailable("the sensors API answered with something that is not JSON") from exc
            if not isinstance(page, list):
                raise SensorsUnavailable("the sensors API answered with an unexpected shape")
            items.extend(page)
            cursor = response.headers.get(NEXT_CURSOR)
            if not cursor:
                return items
        logger.warning(
            "stopped after %d pages: more items remain", self.settings.max_pages, extra={"path": path}
        )
        return items

    async def sensors(self) -> list[Snapshot]:
        """Every sensor's latest snapshot."""

        async def load() -> list[Snapshot]:
            return parse_many(Snapshot, await self._pages("/sensors", {}))

        result: list[Snapshot] = await self._cache.get(("sensors",), load)
        return result

    async def sensor(self, sensor_id: str) -> Snapshot:
        """One sensor's latest snapshot; SensorNotFound if the API does not know it."""

        async def load() -> Snapshot:
            response = await self._get(f"/sensors/{quote(sensor_id, safe='')}")
            try:
                snapshot = parse_one(Snapshot, response.json())
            except ValueError as exc:
                raise SensorsUnavailable("the sensors API answered with something that is not JSON") from exc
            if snapshot is None:
                raise SensorsUnavailable("the sensors API answered with a malformed sensor")
            return snapshot

        result: Snapshot = await self._cache.get(("sensor", sensor_id), load)
        return result

    async def readings(self, sensor_id: str, window: timedelta) -> list[Reading]:
        """The sensor's readings of the last `window`, oldest first (may lag by the history TTL: merge the
        latest snapshot in with `with_latest`)."""

        async def load() -> list[Reading]:
            # No `until`: a reading stamped a little ahead of this clock must still show.
            params: dict[str, str | int] = {"since": _iso(datetime.now(UTC) - window)}
            items = await self._pages(f"/sensors/{quote(sensor_id, safe='')}/readings", params)
            return sorted(parse_many(Reading, items), key=lambda reading: reading.ts)

        result: list[Reading] = await self._history.get((sensor_id, window), load)
        return result
