"""The overview page `/`: every sensor, its latest values and units, age, stale state and sparkline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from homestack_dashboard.settings import DashboardSettings

if TYPE_CHECKING:
    from conftest import Element, FakeSensorsApi, HtmlDoc, SensorData


def rows(doc: HtmlDoc) -> list[Element]:
    return [row for row in doc.all("tr") if row.attrs.get("data-name") is not None]


def row_of(doc: HtmlDoc, name: str) -> Element:
    return next(row for row in rows(doc) if row.attrs["data-name"] == name.lower())


def test_overview_lists_every_sensor_with_latest_values_and_units(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    doc = parse(response.text)
    assert len(rows(doc)) == 6
    kitchen = " ".join(row_of(doc, "Kitchen").text.split())
    for shown in ("23.1 °C", "52%", "948 ppm", "12.5 µg/m³", "Live", "45 s ago"):
        assert shown in kitchen
    garden = " ".join(row_of(doc, "Garden").text.split())
    assert "1,013 hPa" in garden
    assert "5,400 lx" in garden
    header = " ".join(th.text.strip() for th in doc.all("th", scope="col"))
    assert "Temperature" in header
    assert "CO₂" in header


def test_sensor_silent_past_the_threshold_is_marked_stale(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    doc = parse(client.get("/").text)

    attic = row_of(doc, "Attic")
    assert "is-stale" in attic.attrs["class"]
    assert "Stale" in attic.text
    assert "5 h ago" in attic.text
    assert "Stale" not in row_of(doc, "Kitchen").text
    summary = " ".join(doc.one("p", id="summary").text.split())
    assert "6 sensors" in summary
    assert "1 stale" in summary


@pytest.mark.parametrize(
    "dashboard_settings", [DashboardSettings(sensors_url="http://s.test", stale_after_seconds=6 * 3600)]
)
def test_stale_threshold_comes_from_settings(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    doc = parse(client.get("/").text)

    assert "Stale" not in row_of(doc, "Attic").text
    assert "6 h" in doc.one("caption").text


def test_sparkline_drawn_from_the_last_hours_of_readings(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    doc = parse(client.get("/").text)

    spark = next(
        svg
        for svg in doc.all("svg", class_="spark")
        if "Temperature over the last 6 h" in svg.attrs["aria-label"]
    )
    paths = doc.all("path")
    assert any(p.attrs["d"].count("L") >= 30 for p in paths)
    assert "now" in spark.attrs["aria-label"]
    since = [r.url.params["since"] for r in home_api.calls("/sensors/kitchen/readings")]
    assert since, "the kitchen's history was not read"
    asked = datetime.fromisoformat(since[0])
    assert abs((datetime.now(asked.tzinfo) - asked) - timedelta(hours=6)) < timedelta(minutes=1)
    assert "no recent data" in row_of(doc, "Attic").text


def test_server_sorts_and_filters_when_javascript_is_off(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    by_temperature = parse(client.get("/", params={"sort": "temperature", "order": "desc"}).text)
    order = [r.attrs["data-name"] for r in rows(by_temperature)]
    assert order == ["kitchen", "living room", order[2], "bedroom", "attic", "garden"]
    assert order[2].startswith("<b>bold</b>")  # the hostile sensor, at 20.0 °C
    header = by_temperature.one("th", **{"data-key": "temperature"})
    assert header.attrs["aria-sort"] == "descending"

    by_co2 = parse(client.get("/", params={"sort": "co2", "order": "asc"}).text)
    names = [r.attrs["data-name"] for r in rows(by_co2)]
    assert names[:3] == ["living room", "kitchen", "bedroom"]  # sensors without CO2 sort last

    filtered = parse(client.get("/", params={"q": "KITCH"}).text)
    assert [r.attrs["data-name"] for r in rows(filtered)] == ["kitchen"]
    assert "showing 1 of 6" in filtered.one("span", id="filter-count").text


def test_sort_links_work_without_javascript(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    doc = parse(client.get("/", params={"sort": "name", "order": "asc"}).text)

    links = {a.attrs["data-key"]: a.attrs["href"] for a in doc.all("a", class_="sort")}
    assert links["name"] == "/?sort=name&order=desc"
    assert links["temperature"] == "/?sort=temperature&order=asc"


@pytest.mark.parametrize("dashboard_settings", [DashboardSettings(sensors_url="http://s.test", page_size=10)])
def test_follows_pagination_cursor_to_show_every_sensor(
    client: TestClient, sensors_api: FakeSensorsApi, data: SensorData, now: datetime, parse: type[HtmlDoc]
) -> None:
    sensors_api.snapshots = [
        data.snapshot(f"s{i:03d}", None, now, {"temperature": float(i)}) for i in range(25)
    ]

    doc = parse(client.get("/").text)

    assert len(rows(doc)) == 25
    pages = sensors_api.calls("/sensors")
    assert [request.url.params.get("cursor") for request in pages] == [None, "10", "20"]


def test_malformed_sensors_are_skipped_not_fatal(
    client: TestClient, sensors_api: FakeSensorsApi, data: SensorData, now: datetime, parse: type[HtmlDoc]
) -> None:
    good = data.snapshot("good", "Good", now, {"temperature": 20.0})
    sensors_api.snapshots = [
        good,
        {"sensor_id": "no-ts", "values": {}},
        {"sensor_id": "bad-value", "ts": data.iso(now), "values": {"temperature": "hot"}},
    ]

    response = client.get("/")

    assert response.status_code == 200
    assert [r.attrs["data-name"] for r in rows(parse(response.text))] == ["good"]


def test_no_sensors_yet_says_so(client: TestClient, sensors_api: FakeSensorsApi) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert "No sensor has reported yet." in response.text


def test_the_homes_health_is_summed_up_at_the_top(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    doc = parse(client.get("/").text)

    health = doc.one("p", id="health")
    # bedroom 1320 ppm; garden 81 %; attic 8 % and silent for 5 h
    assert health.text.strip() == "1 room needs air, 1 room is humid, 1 battery low, 1 sensor silent"
    assert health.attrs["data-state"] == "warn"


def test_poor_air_is_said_in_words_next_to_the_value(
    client: TestClient, sensors_api: FakeSensorsApi, data: SensorData, now: datetime, parse: type[HtmlDoc]
) -> None:
    sensors_api.snapshots = [data.snapshot("office", "Office", now, {"co2": 1600.0, "temperature": 22.0})]

    doc = parse(client.get("/").text)

    cell = doc.one("td", **{"data-label": "CO₂"})
    assert " ".join(cell.text.split()) == "1,600 ppmpoor air"
    assert doc.one_in(cell, "span", class_="state").attrs["data-state"] == "bad"
    assert doc.all_in(cell, "use")[0].attrs["href"] == "#i-bad"  # an icon, not colour alone
    assert doc.one("p", id="health").text.strip() == "1 room needs air"
    assert doc.one("p", id="health").attrs["data-state"] == "bad"


def test_the_sparkline_draws_the_metric_most_out_of_band_and_says_which(
    client: TestClient, sensors_api: FakeSensorsApi, data: SensorData, now: datetime, parse: type[HtmlDoc]
) -> None:
    sensors_api.snapshots = [
        data.snapshot("bath", "Bathroom", now, {"temperature": 22.0, "humidity": 75.0}),
        data.snapshot("den", "Den", now, {"temperature": 21.0, "humidity": 45.0}),
    ]
    earlier = now - timedelta(minutes=1)
    sensors_api.readings = {
        "bath": data.history("bath", earlier, hours=8),
        "den": data.history("den", earlier, hours=8),
    }

    doc = parse(client.get("/").text)

    labels = {
        row.attrs["data-name"]: " ".join(doc.one_in(row, "span", class_="spark-label").text.split())
        for row in rows(doc)
    }
    # The history's humidity runs 37-53 %, and the latest reading of 75 % is drawn too.
    assert labels["bathroom"].startswith("Humidity, last 6 h")
    assert labels["bathroom"].endswith("\u201375%")
    assert labels["den"].startswith("Temperature, last 6 h")  # every value in band: temperature


def test_a_sparkline_with_less_than_its_window_of_history_says_how_much_it_shows(
    client: TestClient, sensors_api: FakeSensorsApi, data: SensorData, now: datetime, parse: type[HtmlDoc]
) -> None:
    sensors_api.snapshots = [data.snapshot("new", "New", now, {"temperature": 21.0})]
    sensors_api.readings = {"new": data.history("new", now, hours=40 / 60, every_minutes=1)}

    doc = parse(client.get("/").text)

    label = " ".join(doc.one("span", class_="spark-label").text.split())
    assert label.startswith("Temperature, last 40 min")
    spark = doc.one("svg", class_="spark")
    xs = [
        float(n)
        for n in doc.one_in(spark, "path").attrs["d"].replace("M", " ").replace("L", " ").split()[0::2]
    ]
    assert min(xs) < 5  # across the width, not a tick at the right edge
    assert max(xs) > 100
    assert spark.attrs["aria-label"].startswith("Temperature over the last 40 min of 6 h")


def test_a_snapshot_without_a_time_shows_time_unknown_and_is_not_called_stale(
    client: TestClient, sensors_api: FakeSensorsApi, data: SensorData, now: datetime, parse: type[HtmlDoc]
) -> None:
    # What the sensors API answers for an item of a household's older table: no time at all.
    legacy = {"sensor_id": "kitchen", "name": None, "ts": None, "values": {"temperature": 21.0}, "units": {}}
    sensors_api.snapshots = [legacy, data.snapshot("hall", "Hall", now, {"temperature": 20.0})]

    for path in ("/", "/partials/overview", "/?sort=status"):
        response = client.get(path)
        assert response.status_code == 200, path
        text = " ".join(row_of(parse(response.text), "kitchen").text.split())
        assert "Time unknown" in text
        assert "time unknown" in text
        assert "Stale" not in text
    for order in ("asc", "desc"):
        doc = parse(client.get("/", params={"sort": "age", "order": order}).text)
        assert [r.attrs["data-name"] for r in rows(doc)] == ["hall", "kitchen"]  # unknown sorts last
