"""A sensor page: latest reading, charts over 1 h / 24 h / 7 d downsampled on the server, statistics, 404."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from homestack_dashboard.charts import CHART_POINTS
from homestack_dashboard.settings import DashboardSettings

if TYPE_CHECKING:
    from conftest import Element, FakeSensorsApi, HtmlDoc, SensorData


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


def chart_of(doc: HtmlDoc, metric: str) -> Element:
    return doc.one("figure", **{"data-metric": metric})


def xs_of(d: str) -> list[float]:
    return [float(n) for n in d.replace("M", " ").replace("L", " ").split()[0::2]]


def test_ten_minutes_of_data_are_drawn_across_the_chart_and_the_window_is_named(
    client: TestClient, sensors_api: FakeSensorsApi, data: SensorData, now: datetime, parse: type[HtmlDoc]
) -> None:
    sensors_api.snapshots = [data.snapshot("new", "New", now, {"temperature": 21.0})]
    sensors_api.readings["new"] = [
        data.reading("new", now - timedelta(seconds=10 * step), {"temperature": 21 + step / 100})
        for step in range(60, 0, -1)
    ]

    doc = parse(client.get("/sensors/new", params={"range": "24h"}).text)

    figure = chart_of(doc, "temperature")
    assert "last 10 min of 24 h" in figure.text
    baseline = next(
        line
        for line in doc.all_in(figure, "line")
        if line.parent and "x-axis" in line.parent.attrs.get("class", "")
    )
    plot = float(baseline.attrs["x2"]) - float(baseline.attrs["x1"])
    xs = xs_of(doc.one_in(figure, "path", class_="line").attrs["d"])
    assert max(xs) - min(xs) >= 0.9 * plot
    assert "Still collecting" in doc.one("p", id="collecting").text


def test_a_silence_is_drawn_as_a_gap(
    client: TestClient, sensors_api: FakeSensorsApi, data: SensorData, now: datetime, parse: type[HtmlDoc]
) -> None:
    sensors_api.snapshots = [data.snapshot("flaky", "Flaky", now, {"humidity": 50.0})]
    minutes = [*range(1440, 900, -10), *range(600, 0, -10)]  # nothing between 15 h and 10 h ago
    sensors_api.readings["flaky"] = [
        data.reading("flaky", now - timedelta(minutes=m), {"humidity": 50.0 + m % 7}) for m in minutes
    ]

    doc = parse(client.get("/sensors/flaky", params={"range": "24h"}).text)

    figure = chart_of(doc, "humidity")
    assert doc.one_in(figure, "path", class_="line").attrs["d"].count("M") == 2
    gaps = doc.all_in(figure, "rect")
    assert len(gaps) == 1
    width = float(gaps[0].attrs["width"])
    plot = float(doc.all_in(figure, "line")[0].attrs["x2"]) - float(doc.all_in(figure, "line")[0].attrs["x1"])
    assert abs(width / plot - 5 / 24) < 0.02  # five of the 24 hours
    assert "1 stretch without readings" in doc.one_in(figure, "svg").attrs["aria-label"]


@pytest.mark.parametrize(
    ("metric", "values"),
    [
        ("pressure", [1012.6] * 30),  # flat
        ("temperature", [20.55 + (-1) ** i * 0.04 for i in range(30)]),  # noise around one value
        ("co2", [400.0 + 40 * i for i in range(30)]),  # a wide climb
    ],
)
def test_value_labels_never_repeat(
    client: TestClient,
    sensors_api: FakeSensorsApi,
    data: SensorData,
    now: datetime,
    parse: type[HtmlDoc],
    metric: str,
    values: list[float],
) -> None:
    sensors_api.snapshots = [data.snapshot("probe", "Probe", now, {metric: values[-1]})]
    sensors_api.readings["probe"] = [
        data.reading("probe", now - timedelta(minutes=2 * (30 - i)), {metric: v})
        for i, v in enumerate(values)
    ]

    doc = parse(client.get("/sensors/probe", params={"range": "1h"}).text)

    figure = chart_of(doc, metric)
    labels = [
        t.text for t in doc.all_in(figure, "text") if t.parent and "y-axis" in t.parent.attrs.get("class", "")
    ]
    assert len(labels) >= 3
    assert len(set(labels)) == len(labels), labels


def test_a_day_axis_carries_the_date_where_the_day_changes(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    doc = parse(client.get("/sensors/kitchen", params={"range": "24h"}).text)

    figure = chart_of(doc, "temperature")
    ticks = [t for t in doc.all_in(figure, "text") if "data-ts" in t.attrs]
    dates = [doc.one_in(t, "tspan", class_="date").text for t in ticks]
    assert any(dates)  # 24 hours always cross a midnight
    labels = [t.text for t in ticks]
    assert len(set(labels)) == len(labels)
    first_dated = next(t for t in ticks if doc.one_in(t, "tspan", class_="date").text)
    when = datetime.fromisoformat(first_dated.attrs["data-ts"])
    assert doc.one_in(first_dated, "tspan", class_="date").text == f"{when.day} {when:%b}"  # UTC, unconverted
    assert "UTC" in doc.one_in(figure, "span", class_="tz").text


def test_comfort_limits_inside_the_range_are_drawn_on_the_chart(
    client: TestClient, sensors_api: FakeSensorsApi, data: SensorData, now: datetime, parse: type[HtmlDoc]
) -> None:
    sensors_api.snapshots = [data.snapshot("office", "Office", now, {"co2": 1600.0})]
    sensors_api.readings["office"] = [
        data.reading("office", now - timedelta(minutes=m), {"co2": 900.0 + 12 * (60 - m)})
        for m in range(60, 0, -2)
    ]

    doc = parse(client.get("/sensors/office", params={"range": "1h"}).text)

    rules = [t.text for t in doc.all("text", class_="rule-label")]
    assert rules == ["over 1,000 ppm: needs air", "over 1,500 ppm: poor air"]
    latest = doc.one("dd")
    assert "poor air" in latest.text
    assert doc.one_in(latest, "span", class_="state").attrs["data-state"] == "bad"


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


@pytest.mark.parametrize("values", [[1e308, -1e308], [1e20, 1e20 + 1], [-273.15, 1e-300]])
def test_absurd_values_from_the_api_still_render_a_page(
    client: TestClient,
    sensors_api: FakeSensorsApi,
    data: SensorData,
    now: datetime,
    parse: type[HtmlDoc],
    values: list[float],
) -> None:
    sensors_api.snapshots = [data.snapshot("odd", "Odd", now, {"radon": values[-1]})]
    sensors_api.readings["odd"] = [
        data.reading("odd", now - timedelta(minutes=10 * (i + 1)), {"radon": v}) for i, v in enumerate(values)
    ]

    for path in ("/", "/sensors/odd?range=1h"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert parse(response.text).one("div", id="live-content").attrs["data-state"] == "ok"


def test_a_sensor_reporting_every_10_minutes_is_not_still_collecting_in_the_hour_view(
    client: TestClient, sensors_api: FakeSensorsApi, data: SensorData, now: datetime, parse: type[HtmlDoc]
) -> None:
    sensors_api.snapshots = [data.snapshot("slow", "Slow", now - timedelta(minutes=9), {"humidity": 50.0})]
    sensors_api.readings["slow"] = data.history(
        "slow", now - timedelta(minutes=9), hours=24, every_minutes=10
    )

    doc = parse(client.get("/sensors/slow", params={"range": "1h"}).text)

    caption = " ".join(chart_of(doc, "humidity").text.split())
    assert "last 1 h ·" in caption  # the first reading of the hour is 49 minutes old, as usual
    assert not doc.all("p", id="collecting")
