"""Charts that tell the truth, a home's health at a glance, local time and a phone's screen, in Chromium.

Chromium runs in BROWSER_TZ (conftest.py), the dashboard and the sensors service on UTC. Screenshots
go to test-output/ at 1280 and 390 px wide.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from browser.conftest import Service, Tab

pytestmark = pytest.mark.browser

LOCAL = ZoneInfo("America/St_Johns")  # conftest.BROWSER_TZ
# Every seeded sensor with history, including a flat one (hallway), a noisy one (study), one with 10
# minutes of data (nursery) and one past every CO2 limit (office).
CHARTED = ["living-room", "kitchen", "bedroom", "hallway", "study", "office", "nursery"]
DATE = re.compile(r"^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)$")

AXES = """() => Array.from(document.querySelectorAll("figure.chart"), (figure) => ({
  metric: figure.dataset.metric,
  y: Array.from(figure.querySelectorAll("g.y-axis text"), (t) => t.textContent.trim()),
  x: Array.from(figure.querySelectorAll("g.x-axis text[data-ts]"))
    .filter((t) => t.style.display !== "none")
    .map((t) => ({
    ts: t.dataset.ts,
    clock: t.querySelector(".clock").textContent,
    date: t.querySelector(".date").textContent,
  })),
}))"""


def axes(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(AXES)
    return found


@pytest.mark.parametrize("range_key", ["1h", "24h", "7d"])
def test_no_two_tick_labels_on_an_axis_are_equal(dashboard: Service, tab: Tab, range_key: str) -> None:
    page = tab.page
    checked = 0
    for sensor_id in CHARTED:
        page.goto(f"{dashboard.url}/sensors/{sensor_id}?range={range_key}")
        expect(page.locator("figure.chart").first).to_be_visible()
        for chart in axes(page):
            where = f"{sensor_id} {chart['metric']} {range_key}"
            assert len(chart["y"]) >= 3, where
            assert len(set(chart["y"])) == len(chart["y"]), f"{where}: {chart['y']}"
            x_labels = [f"{tick['clock']} {tick['date']}" for tick in chart["x"]]
            assert len(chart["x"]) >= 2, where
            assert len(set(x_labels)) == len(x_labels), f"{where}: {x_labels}"
            checked += 1
        if sensor_id in ("study", "hallway"):
            tab.screenshot(f"dashboard-sensor-{sensor_id}-{range_key}.png")
    assert checked >= 14
    assert tab.errors == []


def test_a_day_chart_crosses_midnight_and_its_labels_carry_dates_in_local_time(
    dashboard: Service, tab: Tab
) -> None:
    page = tab.page
    page.goto(dashboard.url + "/sensors/kitchen?range=24h")

    ticks = axes(page)[0]["x"]
    dated = [tick for tick in ticks if tick["date"]]
    assert dated, f"no date on a 24 h axis: {ticks}"
    for tick in ticks:
        local = datetime.fromisoformat(tick["ts"]).astimezone(LOCAL)
        assert tick["clock"] == f"{local:%H:%M}"  # the browser's zone, not UTC
        if tick["date"]:
            assert DATE.match(tick["date"])
            assert tick["date"] == f"{local.day} {local:%b}"
    days = {datetime.fromisoformat(tick["ts"]).astimezone(LOCAL).date() for tick in ticks}
    if len(days) > 1:  # each new day is named where it begins
        assert len(dated) >= len(days)
    tab.screenshot("dashboard-sensor-24h.png")
    assert tab.errors == []


def test_ten_minutes_of_data_fill_the_chart_labelled_with_the_window(dashboard: Service, tab: Tab) -> None:
    page = tab.page
    page.goto(dashboard.url + "/sensors/nursery?range=24h")

    figure = page.locator("figure.chart[data-metric=temperature]")
    expect(figure.locator("figcaption")).to_contain_text("last 10 min of 24 h")
    expect(page.locator("#collecting")).to_contain_text("Still collecting")
    line: float = figure.locator("path.line").evaluate("path => path.getBBox().width")
    axis = figure.locator("g.x-axis > line").first
    plot = float(axis.get_attribute("x2") or 0) - float(axis.get_attribute("x1") or 0)
    assert line >= 0.8 * plot, f"the line spans {line:.0f} of {plot:.0f} units"
    tab.screenshot("dashboard-sensor-new.png")
    assert tab.errors == []


def test_poor_air_and_a_low_battery_are_said_in_words_at_the_top(dashboard: Service, tab: Tab) -> None:
    page = tab.page
    page.goto(dashboard.url + "/")

    health = page.locator("#health")
    expect(health).to_contain_text("2 rooms need air")  # bedroom 1320 ppm, office 1600 ppm
    expect(health).to_contain_text("1 battery low")  # attic, 8 %
    expect(health).to_have_attribute("data-state", "bad")
    office = page.locator("table#sensors tbody tr", has_text="Office")
    expect(office.locator("td[data-label='CO₂']")).to_contain_text("1,600 ppm")
    expect(office.locator("td[data-label='CO₂'] .state")).to_have_text("poor air")
    expect(office.locator(".spark-metric")).to_have_text("CO₂, last 6 h")  # its most out-of-band metric
    expect(page.locator("table#sensors tbody tr", has_text="Bedroom").locator(".state-warn")).to_have_text(
        "needs air"
    )

    page.goto(dashboard.url + "/sensors/office")
    expect(page.locator("dl.latest")).to_contain_text("poor air")
    expect(page.locator("line.rule-bad")).to_have_count(1)  # 1500 ppm is inside the CO2 chart's range
    tab.screenshot("dashboard-sensor-office.png")
    assert tab.errors == []


def test_times_are_shown_in_the_browsers_time_zone(dashboard: Service, tab: Tab) -> None:
    page = tab.page
    page.goto(dashboard.url + "/sensors/kitchen")

    expect(page.locator("#tz-note")).to_have_text("Times are in your time zone (America/St_Johns)")
    stamp = page.locator(".status-line time[data-local]")
    when = datetime.fromisoformat(stamp.get_attribute("datetime") or "").astimezone(LOCAL)
    expect(stamp).to_have_text(f"{when.day} {when:%b %H:%M:%S}")
    expect(page.locator("figure.chart .tz").first).to_have_text("America/St_Johns")
    assert tab.errors == []


def test_without_javascript_times_are_utc_and_say_so(dashboard: Service, no_script_page: Page) -> None:
    page = no_script_page
    page.goto(dashboard.url + "/sensors/kitchen")

    expect(page.locator("#tz-note")).to_have_text("All times are in UTC")
    stamp = page.locator(".status-line time[data-local]")
    expect(stamp).to_have_text(re.compile(r"\d\d:\d\d:\d\d UTC$"))
    expect(page.locator("figure.chart .tz").first).to_have_text("UTC")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/", "dashboard-overview-390.png"),
        ("/sensors/kitchen", "dashboard-sensor-390.png"),
        ("/sensors/nursery", "dashboard-sensor-new-390.png"),
    ],
)
def test_a_phone_screen_needs_no_sideways_scrolling(
    dashboard: Service, phone_tab: Tab, path: str, name: str
) -> None:
    page = phone_tab.page
    page.goto(dashboard.url + path)
    expect(page.locator("#live-content")).to_have_attribute("data-state", "ok")

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{path} is {width} px wide on a 390 px screen"
    if path == "/":
        display = page.locator("table#sensors tbody tr").first.evaluate(
            "row => getComputedStyle(row).display"
        )
        assert display == "block"  # the table became cards
    phone_tab.screenshot(name)
    assert phone_tab.errors == []
