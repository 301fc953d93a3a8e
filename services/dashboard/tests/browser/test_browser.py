"""The dashboard in headless Chromium, reading the real sensors service on moto, both on loopback.

Runs in `nox -s browser` only (marker `browser`); the plumbing is in this folder's conftest.py.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from browser.conftest import Service, Tab, Tables

pytestmark = pytest.mark.browser

LIVE_DEADLINE = 5.0  # seconds from a reading being stored to it showing on an open page
SEEDED = 10  # sensors the conftest's seed() stores


def test_overview_shows_seeded_sensors_and_runs_nothing_hostile(
    dashboard: Service, tables: Tables, tab: Tab
) -> None:
    page = tab.page
    page.goto(dashboard.url + "/")

    table = page.locator("table#sensors")
    expect(table.locator("tbody tr")).to_have_count(SEEDED)
    kitchen = table.locator("tbody tr", has_text="Kitchen")
    expect(kitchen).to_contain_text("23.1 °C")
    expect(kitchen).to_contain_text("948 ppm")
    expect(kitchen).to_contain_text("Live")
    expect(table.locator("tbody tr", has_text="Attic")).to_contain_text("Stale")
    expect(page.locator("svg.spark")).to_have_count(7)  # the rooms with history
    hostile = table.get_by_role("link", name=tables.hostile_name)
    expect(hostile).to_have_text(tables.hostile_name)  # markup shown as text, not interpreted
    hostile.hover()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("script").count() == 1
    tab.screenshot("dashboard-overview.png")
    page.emulate_media(color_scheme="dark")
    tab.screenshot("dashboard-overview-dark.png")
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
    expect(page.locator("#filter-count")).to_have_text(f"showing 2 of {SEEDED}")
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
    tab.screenshot("dashboard-sensor.png")

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


def test_hostile_sensor_page_shows_markup_as_text(dashboard: Service, tables: Tables, tab: Tab) -> None:
    page = tab.page
    page.goto(dashboard.url + "/sensors/" + quote(tables.hostile_id, safe=""))

    expect(page.get_by_role("heading", level=1)).to_have_text(tables.hostile_name)
    expect(page.locator("p.sensor-id code")).to_have_text(tables.hostile_id)
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


def test_table_works_with_javascript_off(dashboard: Service, no_script_page: Page) -> None:
    page = no_script_page
    page.goto(dashboard.url + "/")
    expect(page.locator("table#sensors tbody tr")).to_have_count(SEEDED)
    expect(page.get_by_role("button", name="Filter")).to_be_visible()

    page.locator("th[data-key=co2] a").click()  # a real link: the server sorts
    page.wait_for_url("**/?sort=co2&order=asc")
    expect(page.locator("table#sensors tbody tr").first).to_contain_text("Living room")
    page.get_by_label("Filter by name or id").fill("kitchen")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table#sensors tbody tr")).to_have_count(1)


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
        tab.screenshot("dashboard-unavailable.png")
        response = page.request.get(dashboard.url + "/sensors/kitchen")
        assert response.status == 200
        assert "Sensor data is unavailable right now." in response.text()
    finally:
        sensors_service.start()

    expect(page.locator("#live-content")).to_have_attribute("data-state", "ok", timeout=10_000)
    expect(page.locator("table#sensors tbody tr")).to_have_count(SEEDED)
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
