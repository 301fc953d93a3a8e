"""The dashboard in headless Chromium, reading the real sensors service on moto, both on loopback.

Runs in `nox -s browser` only (marker `browser`). Data is written straight into the tables, the way
ingest stores it; the dashboard sees it only through the sensors API, as in production.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Playwright, expect, sync_playwright

from homestack_sensordata import READINGS, SENSORS, UNITS, Metric, create_table, format_ts

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[4]
OUTPUT = ROOT / "test-output"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "eu-west-1"}
SENSORS_TABLE, READINGS_TABLE = "browser-sensors", "browser-readings"
HOSTILE_ID = '"><img src=x onerror="window.__pwned=1">'
HOSTILE_NAME = '<script>window.__pwned=2</script><b onmouseover="window.__pwned=3">Hostile</b>'
LIVE_DEADLINE = 5.0  # seconds from a reading being stored to it showing on an open page


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Tables:
    """Writes into the moto tables exactly what ingest stores: the latest snapshot and the reading."""

    client: DynamoDBClient
    endpoint: str

    def store(self, sensor_id: str, ts: datetime, values: dict[str, float], name: str | None = None) -> None:
        numbers: dict[str, AttributeValueTypeDef] = {k: {"N": repr(v)} for k, v in values.items()}
        units: dict[str, AttributeValueTypeDef] = {k: {"S": UNITS[Metric(k)]} for k in values}
        snapshot: dict[str, AttributeValueTypeDef] = {
            "sensor_id": {"S": sensor_id},
            "ts": {"S": format_ts(ts)},
            "values": {"M": numbers},
            "units": {"M": units},
        }
        if name:
            snapshot["name"] = {"S": name}
        self.client.put_item(TableName=SENSORS_TABLE, Item=snapshot)
        self.reading(sensor_id, ts, values)

    def reading(self, sensor_id: str, ts: datetime, values: dict[str, float]) -> None:
        expires = int((ts + timedelta(days=30)).timestamp())
        self.client.put_item(
            TableName=READINGS_TABLE,
            Item={
                "sensor_id": {"S": sensor_id},
                "ts": {"S": format_ts(ts)},
                "values": {"M": {k: {"N": repr(v)} for k, v in values.items()}},
                "expires_at": {"N": str(expires)},
            },
        )


class Service:
    """A uvicorn process on loopback, started and stopped like a deployed service."""

    def __init__(self, name: str, app: str, env: dict[str, str]) -> None:
        self.name, self.app, self.env = name, app, env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        OUTPUT.mkdir(exist_ok=True)
        self.log = OUTPUT / f"{name}.log"
        self.log.write_bytes(b"")

    def start(self) -> None:
        command = [sys.executable, "-m", "uvicorn", self.app, "--host", "127.0.0.1", "--port", str(self.port)]
        env = {"PATH": os.environ.get("PATH", ""), "LOG_FORMAT": "json", **FAKE_AWS, **self.env}
        with self.log.open("ab") as log:  # the child keeps its own handle
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: see {self.log}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer /health within 60 s: see {self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture(scope="module")
def tables() -> Iterator[Tables]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    client = boto3.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name=FAKE_AWS["AWS_REGION"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    create_table(client, SENSORS, SENSORS_TABLE)
    create_table(client, READINGS, READINGS_TABLE)
    seeded = Tables(client, f"http://127.0.0.1:{port}")
    seed(seeded, datetime.now(UTC))
    yield seeded
    server.stop()


def seed(tables: Tables, now: datetime) -> None:
    """A day of history every 10 minutes for three rooms; a garden, a silent attic and a hostile sensor."""
    rooms = {
        "living-room": ("Living room", 21.0, 600.0),
        "kitchen": ("Kitchen", 23.0, 850.0),
        "bedroom": ("Bedroom", 19.0, 1100.0),
    }
    for step in range(144, 0, -1):
        ts = now - timedelta(minutes=10 * step)
        day = math.sin(ts.timestamp() / 86400 * 2 * math.pi)
        wobble = math.sin(step * 1.7) * 0.15
        for offset, (sensor_id, (_, base, co2)) in enumerate(rooms.items()):
            values = {
                "temperature": round(base + 1.8 * day + wobble + offset * 0.1, 2),
                "humidity": round(48 - 6 * day + offset, 1),
                "co2": round(co2 + 220 * math.sin(step / 9 + offset) + 40 * wobble, 0),
            }
            tables.reading(sensor_id, ts, values)
    latest = {
        "living-room": {"temperature": 21.4, "humidity": 44.0, "co2": 612.0, "battery": 87.0},
        "kitchen": {"temperature": 23.1, "humidity": 52.0, "co2": 948.0, "pm25": 12.5},
        "bedroom": {"temperature": 19.2, "humidity": 48.0, "co2": 1320.0},
    }
    for sensor_id, values in latest.items():
        tables.store(sensor_id, now - timedelta(seconds=30), values, name=rooms[sensor_id][0])
    garden = {"temperature": 7.8, "pressure": 1012.6, "illuminance": 5400.0}
    tables.store("garden", now - timedelta(minutes=1), garden, name="Garden")
    tables.store("attic", now - timedelta(hours=5), {"temperature": 12.0, "battery": 8.0}, name="Attic")
    tables.store(HOSTILE_ID, now - timedelta(minutes=2), {"temperature": 20.0}, name=HOSTILE_NAME)


@pytest.fixture(scope="module")
def sensors_service(tables: Tables) -> Iterator[Service]:
    service = Service(
        "sensors",
        "homestack_sensors.app:app",
        {
            "SENSOR_TABLE": SENSORS_TABLE,
            "READINGS_TABLE": READINGS_TABLE,
            "AWS_ENDPOINT_URL_DYNAMODB": tables.endpoint,
            "CURSOR_KEY": "browser-test-cursor-key",
        },
    )
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def dashboard(sensors_service: Service) -> Iterator[Service]:
    service = Service("dashboard", "homestack_dashboard.app:app", {"SENSORS_URL": sensors_service.url})
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        reason = "chromium is not installed (apt-get install chromium): the browser tests cannot run"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as driver:
        yield driver


def open_context(playwright: Playwright, **options: Any) -> BrowserContext:
    """A fresh Chromium profile (its own --user-data-dir), headless, with the agreed flags."""
    profile = tempfile.mkdtemp(prefix="dashboard-chromium-")
    return playwright.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_FLAGS,
        viewport={"width": 1280, "height": 900},
        **options,
    )


@pytest.fixture(scope="module")
def context(playwright: Playwright, dashboard: Service) -> Iterator[BrowserContext]:
    browser = open_context(playwright)
    yield browser
    browser.close()


@dataclass
class Tab:
    """A page and every console error or uncaught exception it has had."""

    page: Page
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def tab(context: BrowserContext) -> Iterator[Tab]:
    opened = Tab(context.new_page())

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            opened.errors.append(f"console: {message.text} at {message.location}")

    opened.page.on("console", on_console)
    opened.page.on("pageerror", lambda error: opened.errors.append(f"uncaught: {error}"))
    yield opened
    opened.page.close()


def screenshot(page: Page, name: str) -> Path:
    OUTPUT.mkdir(exist_ok=True)
    target = OUTPUT / name
    page.screenshot(path=str(target), full_page=True)
    return target


def test_overview_shows_seeded_sensors_and_runs_nothing_hostile(dashboard: Service, tab: Tab) -> None:
    page = tab.page
    page.goto(dashboard.url + "/")

    table = page.locator("table#sensors")
    expect(table.locator("tbody tr")).to_have_count(6)
    kitchen = table.locator("tbody tr", has_text="Kitchen")
    expect(kitchen).to_contain_text("23.1 °C")
    expect(kitchen).to_contain_text("948 ppm")
    expect(kitchen).to_contain_text("Live")
    expect(table.locator("tbody tr", has_text="Attic")).to_contain_text("Stale")
    expect(page.locator("svg.spark")).to_have_count(3)  # the rooms with six hours of history
    hostile = table.get_by_role("link", name=HOSTILE_NAME)
    expect(hostile).to_have_text(HOSTILE_NAME)  # markup shown as text, not interpreted
    hostile.hover()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("script").count() == 1
    screenshot(page, "dashboard-overview.png")
    page.emulate_media(color_scheme="dark")
    screenshot(page, "dashboard-overview-dark.png")
    assert tab.errors == []


def test_sort_and_filter_happen_in_the_browser(dashboard: Service, tab: Tab) -> None:
    page = tab.page
    page.goto(dashboard.url + "/")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.locator("th[data-key=temperature] a").click()
    page.locator("th[data-key=temperature] a").click()

    expect(page.locator("th[data-key=temperature]")).to_have_attribute("aria-sort", "descending")
    expect(page.locator("table#sensors tbody tr").first).to_contain_text("Kitchen")
    assert "sort=temperature&order=desc" in page.url
    assert not [url for url in requests if url.endswith("/?sort=temperature&order=desc")]  # no navigation

    page.get_by_label("Filter by name or id").fill("room")
    visible = page.locator("table#sensors tbody tr:visible")
    expect(visible).to_have_count(2)
    expect(page.locator("#filter-count")).to_have_text("showing 2 of 6")
    assert tab.errors == []


def test_keyboard_reaches_the_content_and_the_filter(dashboard: Service, tab: Tab) -> None:
    page = tab.page
    page.goto(dashboard.url + "/")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Filter by name or id")).to_be_focused()
    page.keyboard.type("kitch")
    expect(page.locator("table#sensors tbody tr:visible")).to_have_count(1)
    assert tab.errors == []


def test_sensor_page_draws_a_chart_and_shows_a_new_reading_within_5_s(
    dashboard: Service, tables: Tables, tab: Tab, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tab.page
    page.goto(dashboard.url + "/sensors/kitchen")

    expect(page.get_by_role("heading", level=1)).to_have_text("Kitchen")
    chart = page.locator("figure.chart[data-metric=temperature] svg path.line")
    expect(chart).to_have_count(1)
    assert len(chart.get_attribute("d") or "") > 100
    expect(page.locator("table.stats")).to_contain_text("Temperature")
    expect(page.locator("dl.latest")).to_contain_text("23.1 °C")
    screenshot(page, "dashboard-sensor.png")

    tables.store(
        "kitchen", datetime.now(UTC), {"temperature": 26.4, "humidity": 50.0, "co2": 990.0}, name="Kitchen"
    )
    stored = time.monotonic()
    expect(page.locator("dl.latest")).to_contain_text("26.4 °C", timeout=LIVE_DEADLINE * 1000)
    elapsed = time.monotonic() - stored
    with capsys.disabled():
        sys.stdout.write(
            f"\nnew reading visible on the open sensor page {elapsed:.2f} s after it was stored\n"
        )
    assert elapsed < LIVE_DEADLINE
    assert page.locator("figure.chart").count() >= 2
    assert tab.errors == []


def test_overview_shows_a_new_reading_within_5_s(
    dashboard: Service, tables: Tables, tab: Tab, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tab.page
    page.goto(dashboard.url + "/")
    row = page.locator("table#sensors tbody tr", has_text="Bedroom")
    expect(row).to_contain_text("19.2 °C")

    tables.store(
        "bedroom", datetime.now(UTC), {"temperature": 18.6, "humidity": 47.0, "co2": 1400.0}, name="Bedroom"
    )
    stored = time.monotonic()
    expect(row).to_contain_text("18.6 °C", timeout=LIVE_DEADLINE * 1000)

    elapsed = time.monotonic() - stored
    with capsys.disabled():
        sys.stdout.write(f"\nnew reading visible on the open overview {elapsed:.2f} s after it was stored\n")
    assert elapsed < LIVE_DEADLINE
    expect(row).to_contain_text("1,400 ppm")
    assert tab.errors == []


def test_hostile_sensor_page_shows_markup_as_text(dashboard: Service, tab: Tab) -> None:
    page = tab.page
    page.goto(dashboard.url + "/sensors/" + quote(HOSTILE_ID, safe=""))

    expect(page.get_by_role("heading", level=1)).to_have_text(HOSTILE_NAME)
    expect(page.locator("p.sensor-id code")).to_have_text(HOSTILE_ID)
    page.get_by_role("heading", level=1).hover()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert tab.errors == []


def test_unknown_sensor_is_a_404_page(dashboard: Service, tab: Tab) -> None:
    response = tab.page.goto(dashboard.url + "/sensors/no-such-sensor")

    assert response is not None
    assert response.status == 404
    expect(tab.page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(tab.page.get_by_role("link", name="Back to all sensors")).to_be_visible()


def test_table_works_with_javascript_off(playwright: Playwright, dashboard: Service) -> None:
    context = open_context(playwright, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(dashboard.url + "/")
        expect(page.locator("table#sensors tbody tr")).to_have_count(6)
        expect(page.get_by_role("button", name="Filter")).to_be_visible()

        page.locator("th[data-key=co2] a").click()  # a real link: the server sorts
        page.wait_for_url("**/?sort=co2&order=asc")
        expect(page.locator("table#sensors tbody tr").first).to_contain_text("Living room")
        page.get_by_label("Filter by name or id").fill("kitchen")
        page.get_by_role("button", name="Filter").click()
        expect(page.locator("table#sensors tbody tr")).to_have_count(1)
    finally:
        context.close()


def test_outage_says_data_is_unavailable_and_recovers_by_itself(
    dashboard: Service, sensors_service: Service, tab: Tab
) -> None:
    page = tab.page
    page.goto(dashboard.url + "/")
    expect(page.locator("#live-content")).to_have_attribute("data-state", "ok")

    sensors_service.stop()
    try:
        notice = page.get_by_role("alert")
        expect(notice).to_contain_text("Sensor data is unavailable right now.", timeout=10_000)
        expect(notice).to_contain_text("The sensors API cannot be reached.")
        screenshot(page, "dashboard-unavailable.png")
        response = page.request.get(dashboard.url + "/sensors/kitchen")
        assert response.status == 200
        assert "Sensor data is unavailable right now." in response.text()
    finally:
        sensors_service.start()

    expect(page.locator("#live-content")).to_have_attribute("data-state", "ok", timeout=10_000)
    expect(page.locator("table#sensors tbody tr")).to_have_count(6)
    assert tab.errors == []


AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["/", "/sensors/kitchen"])
def test_pages_pass_axe_accessibility_checks(
    dashboard: Service, tab: Tab, path: str, scheme: Literal["light", "dark"]
) -> None:
    page = tab.page
    page.emulate_media(color_scheme=scheme)
    page.goto(dashboard.url + path)
    # axe-core as shipped in the axe-playwright-python wheel; evaluated by the driver, not by the page.
    page.evaluate((resources.files("axe_playwright_python") / "axe.min.js").read_text())

    results: dict[str, Any] = page.evaluate("options => axe.run(document, options)", AXE_RULES)

    problems = [f"{v['id']} ({v['impact']}): {v['nodes'][0]['html']}" for v in results["violations"]]
    assert problems == []
    assert "color-contrast" in {rule["id"] for rule in results["passes"]}  # contrast was really checked
    assert tab.errors == []
