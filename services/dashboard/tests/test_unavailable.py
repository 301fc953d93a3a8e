"""When the sensors API is down, slow or broken, pages still render, say so plainly, and recover."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from homestack_dashboard.settings import DashboardSettings

if TYPE_CHECKING:
    from conftest import FakeSensorsApi, HtmlDoc


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("down", "The sensors API cannot be reached."),
        ("slow", "The sensors API did not answer in time."),
        ("error", "The sensors API answered HTTP 500."),
        ("garbage", "The sensors API answered with something that is not JSON."),
        ("huge", "The sensors API sent an answer larger than 64 KiB."),
        ("dribble", "The sensors API did not answer within 1.5 s."),
    ],
)
@pytest.mark.parametrize(
    "path", ["/", "/partials/overview", "/sensors/kitchen", "/partials/sensor?id=kitchen"]
)
def test_outage_renders_a_page_that_says_data_is_unavailable(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc], mode: str, reason: str, path: str
) -> None:
    home_api.mode = mode

    response = client.get(path)

    assert response.status_code == 200
    doc = parse(response.text)
    assert doc.one("div", id="live-content").attrs["data-state"] == "unavailable"
    notice = " ".join(doc.one("div", role="alert").text.split())
    assert notice.startswith("Sensor data is unavailable right now.")
    assert reason in notice
    assert "keeps trying" in notice


def test_page_recovers_by_itself_when_the_api_is_back(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    home_api.mode = "down"
    assert (
        parse(client.get("/partials/overview").text).one("div", id="live-content").attrs["data-state"]
        == "unavailable"
    )

    home_api.mode = "up"
    doc = parse(client.get("/partials/overview").text)

    assert doc.one("div", id="live-content").attrs["data-state"] == "ok"
    assert not doc.all("div", role="alert")
    assert "Kitchen" in doc.one("table").text


def test_sensor_page_keeps_latest_reading_when_only_history_fails(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    original = home_api._serve

    def history_broken(request: object) -> object:
        import httpx

        assert isinstance(request, httpx.Request)
        if request.url.path.endswith("/readings"):
            raise httpx.ReadTimeout("slow", request=request)
        return original(request)

    home_api._serve = history_broken  # type: ignore[method-assign,assignment]

    doc = parse(client.get("/sensors/kitchen").text)

    assert "23.1 °C" in doc.one("dl").text
    assert "The sensors API did not answer in time." in doc.one("div", role="alert").text
    assert not doc.all("figure")


@pytest.mark.parametrize(
    "dashboard_settings", [DashboardSettings(sensors_url="http://s.test", cache_ttl_seconds=60)]
)
def test_an_outage_is_asked_about_once_per_cache_ttl_not_once_per_visitor(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    home_api.mode = "down"

    pages = [parse(client.get("/partials/overview").text) for _ in range(3)]

    assert all(page.one("div", id="live-content").attrs["data-state"] == "unavailable" for page in pages)
    assert len(home_api.calls("/sensors")) == 1
