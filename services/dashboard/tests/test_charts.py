"""Charts on a sensor page: the x range fitted to short histories, gaps, value labels that never repeat,
dates where a day begins, comfort limits, and data no chart could draw."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from conftest import Element, FakeSensorsApi, HtmlDoc, SensorData


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
