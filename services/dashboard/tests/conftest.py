"""A dashboard wired to an in-memory sensors API through httpx.MockTransport (no sockets), and sample data."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from fastapi.testclient import TestClient

from homestack_common.testing import client_for
from homestack_dashboard.app import create_dashboard_app
from homestack_dashboard.settings import DashboardSettings, get_settings

UNITS = {
    "temperature": "C",
    "humidity": "%",
    "co2": "ppm",
    "pressure": "hPa",
    "pm25": "ug/m3",
    "voc": "ppb",
    "illuminance": "lx",
    "battery": "%",
}


class SensorData:
    """Builders of sensors API answers (snapshots, readings) and a sample home."""

    hostile_id = 'x"><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
    hostile_name = '<b>Bold</b><script>window.__pwned=3</script><svg onload="window.__pwned=4">'

    @staticmethod
    def iso(value: datetime) -> str:
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def snapshot(
        self, sensor_id: str, name: str | None, ts: datetime, values: dict[str, float]
    ) -> dict[str, Any]:
        units = {metric: UNITS[metric] for metric in values if metric in UNITS}
        return {"sensor_id": sensor_id, "name": name, "ts": self.iso(ts), "values": values, "units": units}

    def reading(self, sensor_id: str, ts: datetime, values: dict[str, float]) -> dict[str, Any]:
        return {"sensor_id": sensor_id, "ts": self.iso(ts), "values": values}

    def history(
        self, sensor_id: str, now: datetime, hours: float, every_minutes: float = 10, base: float = 21.0
    ) -> list[dict[str, Any]]:
        """A smooth daily curve of temperature and humidity, oldest first, ending at `now`."""
        count = int(hours * 60 / every_minutes)
        items = []
        for step in range(count, -1, -1):
            ts = now - timedelta(minutes=step * every_minutes)
            phase = ts.timestamp() / 86400 * 2 * math.pi
            values = {
                "temperature": round(base + 2.5 * math.sin(phase), 2),
                "humidity": round(45 + 8 * math.cos(phase), 1),
            }
            items.append(self.reading(sensor_id, ts, values))
        return items

    def home(self, now: datetime) -> list[dict[str, Any]]:
        """A few rooms, a garden, an attic gone silent for 5 h, and a sensor with a hostile id and name."""
        return [
            self.snapshot(
                "living-room",
                "Living room",
                now - timedelta(seconds=20),
                {"temperature": 21.4, "humidity": 44, "co2": 612, "voc": 120, "battery": 87},
            ),
            self.snapshot(
                "kitchen",
                "Kitchen",
                now - timedelta(seconds=45),
                {"temperature": 23.1, "humidity": 52, "co2": 948, "pm25": 12.5},
            ),
            self.snapshot(
                "bedroom",
                "Bedroom",
                now - timedelta(minutes=2),
                {"temperature": 19.2, "humidity": 48, "co2": 1320, "battery": 64},
            ),
            self.snapshot(
                "garden",
                "Garden",
                now - timedelta(minutes=1),
                {"temperature": 7.8, "humidity": 81, "pressure": 1012.6, "illuminance": 5400},
            ),
            self.snapshot(
                "attic",
                "Attic",
                now - timedelta(hours=5),
                {"temperature": 12.0, "humidity": 60, "battery": 8},
            ),
            self.snapshot(
                self.hostile_id, self.hostile_name, now - timedelta(minutes=3), {"temperature": 20.0}
            ),
        ]


@dataclass
class FakeSensorsApi:
    """The sensors API's HTTP contract over in-memory data; `mode` simulates an outage."""

    snapshots: list[dict[str, Any]] = field(default_factory=list)
    readings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    mode: str = "up"  # up | down | slow | error | garbage | huge | dribble
    requests: list[httpx.Request] = field(default_factory=list)

    def calls(self, path: str) -> list[httpx.Request]:
        """The requests made to exactly `path` (decoded)."""
        return [r for r in self.requests if r.url.path == path]

    def _page(self, items: list[dict[str, Any]], request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params.get("limit", "100"))
        start = int(request.url.params.get("cursor", "0"))
        headers = {"X-Next-Cursor": str(start + limit)} if start + limit < len(items) else {}
        return httpx.Response(200, json=items[start : start + limit], headers=headers)

    def _serve(self, request: httpx.Request) -> httpx.Response:
        parts = [unquote(part) for part in request.url.raw_path.decode().split("?")[0].split("/")[1:]]
        if parts == ["sensors"]:
            return self._page(self.snapshots, request)
        if len(parts) not in (2, 3) or parts[0] != "sensors" or parts[2:] not in ([], ["readings"]):
            return httpx.Response(404, json={"error": {"code": "not_found", "message": "no route"}})
        found = next((s for s in self.snapshots if s["sensor_id"] == parts[1]), None)
        if found is None:
            return httpx.Response(404, json={"error": {"code": "not_found", "message": "sensor not found"}})
        if len(parts) == 2:
            return httpx.Response(200, json=found)
        history = self.readings.get(parts[1], [])
        since = request.url.params.get("since")
        if since:
            cutoff = datetime.fromisoformat(since)
            history = [r for r in history if datetime.fromisoformat(r["ts"]) >= cutoff]
        return self._page(history, request)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.mode == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "slow":
            raise httpx.ReadTimeout("timed out", request=request)
        if self.mode == "error":
            return httpx.Response(500, json={"error": {"code": "internal_error", "message": "boom"}})
        if self.mode == "garbage":
            return httpx.Response(200, text="<html>not json</html>")
        if self.mode == "huge":  # no Content-Length: the size shows only while the body is read
            return httpx.Response(200, content=_stream(b"[" + b"0," * 40_000 + b"0]"))
        if self.mode == "dribble":  # every byte in time for a read timeout, the whole never
            return httpx.Response(200, content=_dribble())
        return self._serve(request)


async def _stream(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 4096):
        yield body[start : start + 4096]


async def _dribble() -> AsyncIterator[bytes]:
    for byte in b'[{"sensor_id": "slow"}]':
        yield bytes([byte])
        await asyncio.sleep(0.5)


def settings_for(**overrides: Any) -> DashboardSettings:
    """Test settings: no cache unless asked, so every request reaches the fake; small limits."""
    values: dict[str, Any] = {
        "sensors_url": "http://sensors.test",
        "cache_ttl_seconds": 0,
        "history_ttl_seconds": 0,
        "page_size": 500,
        "load_deadline_seconds": 1.5,
        "max_response_bytes": 64 * 1024,
    } | overrides
    return DashboardSettings(**values)


@pytest.fixture
def data() -> SensorData:
    return SensorData()


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def sensors_api() -> FakeSensorsApi:
    return FakeSensorsApi()


@pytest.fixture
def home_api(sensors_api: FakeSensorsApi, data: SensorData, now: datetime) -> FakeSensorsApi:
    """The fake API holding the sample home, with 7 days of history for the living room and kitchen."""
    sensors_api.snapshots = data.home(now)
    sensors_api.readings = {
        "living-room": data.history("living-room", now, hours=24 * 7, every_minutes=10, base=21.0),
        "kitchen": data.history("kitchen", now, hours=24, every_minutes=5, base=23.0),
    }
    return sensors_api


@pytest.fixture
def dashboard_settings() -> DashboardSettings:
    return settings_for()


@pytest.fixture
def client(sensors_api: FakeSensorsApi, dashboard_settings: DashboardSettings) -> Iterator[TestClient]:
    """The dashboard app, started (lifespan run), reading the fake sensors API."""
    app = create_dashboard_app(transport=httpx.MockTransport(sensors_api))
    with get_settings.override(dashboard_settings), client_for(app) as test_client:
        yield test_client


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    parent: Element | None = None

    def inside(self, ancestor: Element) -> bool:
        node = self.parent
        while node is not None:
            if node is ancestor:
                return True
            node = node.parent
        return False


class HtmlDoc(HTMLParser):
    """A parsed page: every element with its attributes and the text inside it."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        parent = self._open[-1] if self._open else None
        element = Element(tag, {name: value or "" for name, value in attrs}, parent=parent)
        self.elements.append(element)
        if tag not in {"meta", "link", "img", "input", "br", "circle", "path", "line"}:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        parent = self._open[-1] if self._open else None
        self.elements.append(Element(tag, {name: value or "" for name, value in attrs}, parent=parent))

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        for element in self._open:  # an element's text includes its descendants' text
            element.text += data

    def all(self, tag: str, **attrs: str) -> list[Element]:
        """Elements named `tag` whose attributes include `attrs` (class_ matches one class)."""
        return self.all_in(None, tag, **attrs)

    def all_in(self, within: Element | None, tag: str, **attrs: str) -> list[Element]:
        """Like `all`, among the descendants of `within` only."""
        wanted = {name.rstrip("_"): value for name, value in attrs.items()}

        def matches(element: Element) -> bool:
            for name, value in wanted.items():
                if name == "class":
                    if value not in element.attrs.get("class", "").split():
                        return False
                elif element.attrs.get(name) != value:
                    return False
            return element.tag == tag and (within is None or element.inside(within))

        return [element for element in self.elements if matches(element)]

    def one(self, tag: str, **attrs: str) -> Element:
        return self.one_in(None, tag, **attrs)

    def one_in(self, within: Element | None, tag: str, **attrs: str) -> Element:
        found = self.all_in(within, tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]


@pytest.fixture
def parse() -> type[HtmlDoc]:
    return HtmlDoc


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The browser tests need Chromium and the sensors service: they run only when asked for with
    `-m browser` (`nox -s browser`), never in the fast default session."""
    wanted = config.getoption("markexpr") or ""
    if collection_path.name == "browser" and ("browser" not in wanted or "not browser" in wanted):
        return True
    return None
