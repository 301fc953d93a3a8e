"""A sensor page: latest reading, charts over 1 h / 24 h / 7 d downsampled on the server, statistics, 404."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from homestack_dashboard.charts import CHART_POINTS
from homestack_dashboard.settings import DashboardSettings

if TYPE_CHECKING:
    from conftest import FakeSensorsApi, HtmlDoc, SensorData


def test_sensor_page_shows_latest_reading_charts_and_statistics(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    response = client.get("/sensors/kitchen")

    assert response.status_code == 200
    doc = parse(response.text)
    assert doc.one("h1").text == "Kitchen"
    readings = [span.text for span in doc.all("span", class_="reading")]
    latest = dict(zip([dt.text for dt in doc.all("dt")], readings, strict=True))
    assert latest == {"Temperature": "23.1 °C", "Humidity": "52%", "CO₂": "948 ppm", "PM2.5": "12.5 µg/m³"}
    states = {
        dt.text: [state.text for state in doc.all_in(dd, "span", class_="state")]
        for dt, dd in zip(doc.all("dt"), doc.all("dd"), strict=True)
    }
    assert states == {"Temperature": [], "Humidity": ["ok"], "CO₂": ["fresh"], "PM2.5": ["ok"]}
    raw = doc.one("pre").text
    assert '"temperature": 23.1' in raw
    assert '"pm25": "ug/m3"' in raw
    charts = {figure.attrs["data-metric"] for figure in doc.all("figure", class_="chart")}
    assert charts == {"temperature", "humidity"}  # the metrics that have history
    assert doc.one("a", **{"aria-current": "page", "href": "/sensors/kitchen?range=24h"}).text == "24 hours"


def test_statistics_cover_every_reading_of_the_range(
    client: TestClient, sensors_api: FakeSensorsApi, data: SensorData, now: datetime, parse: type[HtmlDoc]
) -> None:
    sensors_api.snapshots = [data.snapshot("probe", "Probe", now - timedelta(minutes=10), {"co2": 500.0})]
    values = [400.0, 1000.0, 700.0, 500.0]
    sensors_api.readings["probe"] = [
        data.reading("probe", now - timedelta(minutes=40 - 10 * i), {"co2": v}) for i, v in enumerate(values)
    ]

    doc = parse(client.get("/sensors/probe", params={"range": "1h"}).text)

    row = next(tr for tr in doc.all("tr") if tr.text.startswith("CO₂"))
    cells = [td.text for td in doc.all("td", class_="num") if td in doc.elements[doc.elements.index(row) :]][
        :3
    ]
    assert cells == ["400 ppm", "1,000 ppm", "650 ppm"]
    assert "4 readings" in doc.one("caption").text


@pytest.mark.parametrize(
    ("key", "window"), [("1h", timedelta(hours=1)), ("24h", timedelta(hours=24)), ("7d", timedelta(days=7))]
)
def test_range_selects_how_much_history_is_read(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc], key: str, window: timedelta
) -> None:
    doc = parse(client.get("/sensors/living-room", params={"range": key}).text)

    since = datetime.fromisoformat(home_api.calls("/sensors/living-room/readings")[-1].url.params["since"])
    assert abs(datetime.now(since.tzinfo) - since - window) < timedelta(minutes=1)
    current = doc.one("a", **{"aria-current": "page"})
    assert current.attrs["href"] == f"/sensors/living-room?range={key}"


def test_unknown_range_falls_back_to_24_hours(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    doc = parse(client.get("/sensors/kitchen", params={"range": "1y"}).text)

    assert doc.one("a", **{"aria-current": "page"}).text == "24 hours"


def test_week_of_readings_is_downsampled_to_what_the_chart_shows(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    doc = parse(client.get("/sensors/living-room", params={"range": "7d"}).text)

    since = datetime.fromisoformat(home_api.calls("/sensors/living-room/readings")[0].url.params["since"])
    total = sum(datetime.fromisoformat(r["ts"]) >= since for r in home_api.readings["living-room"])
    assert total > 1000
    line = doc.all("path", class_="line")[0].attrs["d"]
    drawn = line.count("M") + line.count("L")
    assert drawn == CHART_POINTS
    figure = doc.all("figure", class_="chart")[0]
    assert f"{total} readings, {CHART_POINTS} points drawn" in " ".join(figure.text.split())
    assert len(home_api.calls("/sensors/living-room/readings")) == 3  # ~1008 readings in pages of 500


def test_sensor_without_history_says_so(
    client: TestClient, sensors_api: FakeSensorsApi, data: SensorData, now: datetime, parse: type[HtmlDoc]
) -> None:
    sensors_api.snapshots = [data.snapshot("new", None, now - timedelta(hours=2), {"battery": 99.0})]

    response = client.get("/sensors/new", params={"range": "1h"})

    assert response.status_code == 200
    assert "No readings in the last 1 hour." in response.text
    doc = parse(response.text)
    assert doc.one("span", class_="reading").text == "99%"
    assert doc.one("span", class_="state").attrs["data-state"] == "ok"


def test_first_reading_counts_as_history_but_draws_no_line(
    client: TestClient, sensors_api: FakeSensorsApi, data: SensorData, now: datetime, parse: type[HtmlDoc]
) -> None:
    sensors_api.snapshots = [data.snapshot("new", None, now, {"battery": 99.0})]

    doc = parse(client.get("/sensors/new", params={"range": "1h"}).text)

    assert "(1 reading)" in doc.one("caption").text
    assert not doc.all("figure")


def test_unknown_sensor_is_a_404_page(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    response = client.get("/sensors/no-such-sensor")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    doc = parse(response.text)
    assert doc.one("h1").text == "Not found"
    assert "There is no sensor with the id no-such-sensor." in " ".join(doc.one("main").text.split())
    assert doc.all("a", href="/")


def test_unknown_path_is_a_404_page_for_people_and_json_for_programs(client: TestClient) -> None:
    page = client.get("/nowhere", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "There is no page at" in page.text

    api = client.get("/nowhere", headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


def test_live_fragment_of_a_sensor_follows_new_readings(
    client: TestClient, home_api: FakeSensorsApi, data: SensorData, now: datetime, parse: type[HtmlDoc]
) -> None:
    before = parse(client.get("/partials/sensor", params={"id": "kitchen", "range": "1h"}).text)
    assert "23.1 °C" in before.one("dl").text

    home_api.snapshots[1] = data.snapshot("kitchen", "Kitchen", now, {"temperature": 24.6})
    after = parse(client.get("/partials/sensor", params={"id": "kitchen", "range": "1h"}).text)

    assert after.one("dl").text.strip() == "Temperature24.6 °C"
    assert after.one("div", id="live-content").attrs["data-state"] == "ok"


def test_live_fragment_of_a_deleted_sensor_says_it_is_gone(
    client: TestClient, home_api: FakeSensorsApi
) -> None:
    response = client.get("/partials/sensor", params={"id": "deleted"})

    assert response.status_code == 200
    assert "This sensor no longer exists." in response.text


@pytest.mark.parametrize(
    "dashboard_settings",
    [DashboardSettings(sensors_url="http://s.test", cache_ttl_seconds=0, history_ttl_seconds=300)],
)
def test_new_reading_reaches_chart_and_statistics_while_history_is_cached(
    client: TestClient, sensors_api: FakeSensorsApi, data: SensorData, now: datetime, parse: type[HtmlDoc]
) -> None:
    sensors_api.snapshots = [data.snapshot("probe", "Probe", now - timedelta(minutes=1), {"co2": 500.0})]
    sensors_api.readings["probe"] = [
        data.reading("probe", now - timedelta(minutes=m), {"co2": 500.0}) for m in (30, 20, 10, 1)
    ]
    client.get("/sensors/probe", params={"range": "1h"})

    sensors_api.snapshots = [data.snapshot("probe", "Probe", now, {"co2": 2000.0})]
    doc = parse(client.get("/sensors/probe", params={"range": "1h"}).text)

    assert len(sensors_api.calls("/sensors/probe/readings")) == 1  # history came from the cache
    assert "2,000 ppm" in doc.one("dl").text
    stats_row = next(tr for tr in doc.all("tr") if tr.text.startswith("CO₂"))
    assert "2,000 ppm" in stats_row.text  # the maximum includes the new reading
    assert "5 readings" in doc.one("caption").text


@pytest.mark.parametrize(
    "dashboard_settings", [DashboardSettings(sensors_url="http://s.test", cache_ttl_seconds=60)]
)
def test_repeated_requests_within_the_cache_ttl_reach_the_api_once(
    client: TestClient, home_api: FakeSensorsApi
) -> None:
    for _ in range(3):
        assert client.get("/partials/overview").status_code == 200

    assert len(home_api.calls("/sensors")) == 1


def test_a_snapshot_without_a_time_renders_time_unknown(
    client: TestClient, sensors_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    sensors_api.snapshots = [
        {"sensor_id": "legacy", "name": "Legacy", "ts": None, "values": {"temperature": 21.0}, "units": {}}
    ]

    for path in ("/sensors/legacy", "/partials/sensor?id=legacy"):
        response = client.get(path)
        assert response.status_code == 200, path
        doc = parse(response.text)
        line = " ".join(doc.one("p", class_="status-line").text.split())
        assert line.startswith("Time unknown")
        assert "does not say when" in line
        assert "21.0" in doc.one("dl").text
