"""GET /sensors/{id}/readings: time ranges, defaults, pagination and validation, through HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from homestack_sensors.routes import NEXT_CURSOR_HEADER

if TYPE_CHECKING:
    from conftest import Tables

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _ts(items: list[dict[str, object]]) -> list[object]:
    return [item["ts"] for item in items]


def _iso(stamp: str) -> str:
    return stamp.replace(".000Z", "Z")


def test_readings_in_a_range_come_oldest_first(aws: Tables, api: TestClient) -> None:
    aws.sensor("kitchen-1")
    stamps = aws.readings("kitchen-1", T0, 10, timedelta(minutes=1))
    aws.readings("garage-2", T0, 10, timedelta(minutes=1))
    response = api.get(
        "/sensors/kitchen-1/readings",
        params={"since": "2026-11-26T10:03:00Z", "until": "2026-11-26T11:06:00+01:00"},
    )
    assert response.status_code == 200
    body = response.json()
    assert _ts(body) == [_iso(s) for s in stamps[3:7]]
    assert body[0] == {"sensor_id": "kitchen-1", "ts": "2026-11-26T10:03:00Z", "values": {"temperature": 3.0}}
    assert NEXT_CURSOR_HEADER not in response.headers


def test_the_default_window_is_the_last_24_hours(aws: Tables, api: TestClient) -> None:
    aws.sensor("kitchen-1")
    now = datetime.now(UTC).replace(microsecond=0)
    aws.readings("kitchen-1", now - timedelta(hours=30), 1, timedelta(0))
    recent = aws.readings("kitchen-1", now - timedelta(hours=2), 3, timedelta(minutes=30))
    response = api.get("/sensors/kitchen-1/readings")
    assert _ts(response.json()) == [_iso(s) for s in recent]


def test_readings_page_through_with_the_cursor_header(aws: Tables, api: TestClient) -> None:
    aws.sensor("kitchen-1")
    stamps = aws.readings("kitchen-1", T0, 23, timedelta(seconds=10))
    params: dict[str, str | int] = {
        "since": "2026-11-26T09:00:00Z",
        "until": "2026-11-26T12:00:00Z",
        "limit": 10,
    }
    seen: list[object] = []
    pages = 0
    while True:
        response = api.get("/sensors/kitchen-1/readings", params=params)
        seen.extend(_ts(response.json()))
        pages += 1
        cursor = response.headers.get(NEXT_CURSOR_HEADER)
        if not cursor:
            break
        params["cursor"] = cursor
    assert pages == 3
    assert seen == [_iso(s) for s in stamps]


def test_a_readings_cursor_cannot_be_replayed_on_another_sensor(aws: Tables, api: TestClient) -> None:
    aws.sensor("kitchen-1")
    aws.sensor("garage-2")
    aws.readings("kitchen-1", T0, 5, timedelta(minutes=1))
    window = {"since": "2026-11-26T09:00:00Z", "until": "2026-11-26T12:00:00Z"}
    cursor = api.get("/sensors/kitchen-1/readings", params={**window, "limit": 2}).headers[NEXT_CURSOR_HEADER]
    response = api.get("/sensors/garage-2/readings", params={**window, "cursor": cursor})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"
    assert api.get("/sensors", params={"cursor": cursor}).status_code == 400


def test_readings_of_an_unknown_sensor_are_a_404(api: TestClient) -> None:
    response = api.get("/sensors/ghost/readings")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"since": "yesterday"}, "query.since", id="unparseable"),
        pytest.param({"until": "2026-11-26T10:00:00"}, "query.until", id="no-timezone"),
        pytest.param(
            {"since": "2026-11-27T00:00:00Z", "until": "2026-11-26T00:00:00Z"}, "query.since", id="inverted"
        ),
        pytest.param({"until": "9999-12-31T23:00:00-05:00"}, "query.until", id="beyond-year-9999"),
        pytest.param({"limit": 5000}, "query.limit", id="limit"),
    ],
)
def test_bad_readings_parameters_are_422_naming_the_field(
    aws: Tables, api: TestClient, params: dict[str, str | int], field: str
) -> None:
    aws.sensor("kitchen-1")
    response = api.get("/sensors/kitchen-1/readings", params=params)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]


def test_the_earliest_until_still_answers(aws: Tables, api: TestClient) -> None:
    aws.sensor("kitchen-1")
    response = api.get("/sensors/kitchen-1/readings", params={"until": "0001-01-01T00:00:00Z"})
    assert response.status_code == 200
    assert response.json() == []
