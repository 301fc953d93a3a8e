"""Plumbing of the browser tests: moto, the sensors service and the dashboard as processes, Chromium.

Data is written straight into the tables, the way ingest stores it; the dashboard sees it only through
the sensors API, as in production.
"""

from __future__ import annotations

import logging
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Playwright, sync_playwright

from homestack_common.testing import free_port
from homestack_sensordata import READINGS, SENSORS, UNITS, Metric, create_table, format_ts

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

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
# Chromium runs in this zone (the machine and the server are on UTC): half an hour off any UTC hour, so a
# time left in UTC cannot pass for local by accident.
BROWSER_TZ = "America/St_Johns"
SENSORS_TABLE, READINGS_TABLE = "browser-sensors", "browser-readings"


@dataclass
class Tables:
    """Writes into the moto tables exactly what ingest stores: the latest snapshot and the reading."""

    client: DynamoDBClient
    endpoint: str

    hostile_id: ClassVar[str] = '"><img src=x onerror="window.__pwned=1">'
    hostile_name: ClassVar[str] = (
        '<script>window.__pwned=2</script><b onmouseover="window.__pwned=3">Hostile</b>'
    )

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
    # moto keeps its tables per process, not per server: the next module starts from empty tables.
    for table in (SENSORS_TABLE, READINGS_TABLE):
        client.delete_table(TableName=table)
    server.stop()


def seed(tables: Tables, now: datetime) -> None:
    """A day of history every 10 minutes for five rooms (one flat, one noisy, one with poor air), a room
    added 10 minutes ago, a garden, a silent attic and a hostile sensor."""
    rooms = {
        "living-room": ("Living room", 21.0, 600.0),
        "kitchen": ("Kitchen", 23.0, 850.0),
        "bedroom": ("Bedroom", 19.0, 1100.0),
    }
    noise = random.Random(20261126)
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
        # Flat: the same value all day. Noisy: a sensor's jitter around one value, the case where rounded
        # labels used to repeat (20.6 / 20.6 / 20.5).
        tables.reading("hallway", ts, {"temperature": 20.0, "pressure": 1012.6})
        study = {"temperature": round(20.55 + noise.uniform(-0.05, 0.05), 3), "humidity": 45.0}
        tables.reading("study", ts, study)
        tables.reading("office", ts, {"temperature": 22.0, "co2": round(900 + 5 * (144 - step), 0)})
    for step in range(60, 0, -1):  # readings every 10 s for the last 10 minutes only
        ts = now - timedelta(seconds=10 * step)
        tables.reading("nursery", ts, {"temperature": round(21.0 + step / 200, 2), "co2": 700.0})
    latest = {
        "living-room": {"temperature": 21.4, "humidity": 44.0, "co2": 612.0, "battery": 87.0},
        "kitchen": {"temperature": 23.1, "humidity": 52.0, "co2": 948.0, "pm25": 12.5},
        "bedroom": {"temperature": 19.2, "humidity": 48.0, "co2": 1320.0},
    }
    for sensor_id, values in latest.items():
        tables.store(sensor_id, now - timedelta(seconds=30), values, name=rooms[sensor_id][0])
    tables.store(
        "hallway", now - timedelta(seconds=40), {"temperature": 20.0, "pressure": 1012.6}, name="Hallway"
    )
    tables.store("study", now - timedelta(seconds=50), {"temperature": 20.55, "humidity": 45.0}, name="Study")
    tables.store("office", now - timedelta(seconds=20), {"temperature": 22.0, "co2": 1600.0}, name="Office")
    tables.store("nursery", now, {"temperature": 21.0, "co2": 700.0}, name="Nursery")
    garden = {"temperature": 7.8, "pressure": 1012.6, "illuminance": 5400.0}
    tables.store("garden", now - timedelta(minutes=1), garden, name="Garden")
    tables.store("attic", now - timedelta(hours=5), {"temperature": 12.0, "battery": 8.0}, name="Attic")
    tables.store(
        Tables.hostile_id, now - timedelta(minutes=2), {"temperature": 20.0}, name=Tables.hostile_name
    )


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
    """A fresh Chromium profile (its own --user-data-dir), headless, with the agreed flags, in BROWSER_TZ."""
    profile = tempfile.mkdtemp(prefix="dashboard-chromium-")
    settings: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}} | options
    return playwright.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_FLAGS,
        env={**os.environ, "TZ": BROWSER_TZ},
        **settings,
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

    def screenshot(self, name: str) -> Path:
        """Save the whole page under test-output/ (gitignored) for a person to look at."""
        OUTPUT.mkdir(exist_ok=True)
        target = OUTPUT / name
        self.page.screenshot(path=str(target), full_page=True)
        return target


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


@pytest.fixture
def no_script_page(playwright: Playwright, dashboard: Service) -> Iterator[Page]:
    """A page in a second, fresh profile with JavaScript switched off."""
    context = open_context(playwright, java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def phone(playwright: Playwright, dashboard: Service) -> Iterator[BrowserContext]:
    """A profile with a phone's screen: 390 CSS pixels wide."""
    context = open_context(playwright, viewport={"width": 390, "height": 844}, device_scale_factor=2)
    yield context
    context.close()


@pytest.fixture
def phone_tab(phone: BrowserContext) -> Iterator[Tab]:
    opened = Tab(phone.new_page())
    opened.page.on("pageerror", lambda error: opened.errors.append(f"uncaught: {error}"))
    yield opened
    opened.page.close()
