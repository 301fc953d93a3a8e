"""GET /sensors and /sensors/{id} through HTTP: every sensor across pages, 404s, 422s and 400s as JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from homestack_sensors.config import Settings
from homestack_sensors.routes import NEXT_CURSOR_HEADER

if TYPE_CHECKING:
    from conftest import Start, Tables


def test_a_sensor_is_served_with_the_seed_shape(aws: Tables, api: TestClient) -> None:
    aws.sensor("kitchen-1", 21.5, name="Kitchen")
    response = api.get("/sensors/kitchen-1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "sensor_id": "kitchen-1",
        "name": "Kitchen",
        "ts": "2026-11-26T10:00:00Z",
        "values": {"temperature": 21.5},
        "units": {"temperature": "C"},
    }


def test_an_unknown_sensor_is_a_json_404_not_an_empty_200(api: TestClient) -> None:
    response = api.get("/sensors/ghost", headers={"X-Request-ID": "rid-404"})
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "sensor not found: no sensor has the id 'ghost'",
            "request_id": "rid-404",
        }
    }


def test_more_than_100_sensors_are_all_listed_across_pages(aws: Tables, api: TestClient) -> None:
    for i in range(130):
        aws.sensor(f"s-{i:03d}")
    ids: list[str] = []
    sizes: list[int] = []
    params: dict[str, str | int] = {"limit": 50}
    while True:
        response = api.get("/sensors", params=params)
        assert response.status_code == 200
        sizes.append(len(response.json()))
        ids.extend(item["sensor_id"] for item in response.json())
        cursor = response.headers.get(NEXT_CURSOR_HEADER)
        if cursor is None:
            break
        params = {"limit": 50, "cursor": cursor}
    assert sizes == [50, 50, 30]
    assert sorted(ids) == [f"s-{i:03d}" for i in range(130)]


def test_the_default_page_is_100_and_says_there_is_more(aws: Tables, api: TestClient) -> None:
    for i in range(101):
        aws.sensor(f"s-{i:03d}")
    first = api.get("/sensors")
    assert len(first.json()) == 100
    rest = api.get("/sensors", params={"cursor": first.headers[NEXT_CURSOR_HEADER]})
    assert len(rest.json()) == 1
    assert NEXT_CURSOR_HEADER not in rest.headers


def test_an_empty_table_is_an_empty_list_without_a_cursor(api: TestClient) -> None:
    response = api.get("/sensors")
    assert response.status_code == 200
    assert response.json() == []
    assert NEXT_CURSOR_HEADER not in response.headers


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"limit": 0}, "query.limit", id="zero"),
        pytest.param({"limit": 1001}, "query.limit", id="too-big"),
        pytest.param({"limit": "ten"}, "query.limit", id="not-a-number"),
        pytest.param({"cursor": ""}, "query.cursor", id="empty-cursor"),
    ],
)
def test_bad_query_parameters_are_422_naming_the_field(
    api: TestClient, params: dict[str, str | int], field: str
) -> None:
    response = api.get("/sensors", params=params)
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "invalid_request"
    assert [d["field"] for d in body["details"]] == [field]


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "v1.e30.AAAA", "v1." + "A" * 40 + "." + "B" * 22, "x" * 3000],
)
def test_a_forged_cursor_is_a_400_never_a_500(aws: Tables, api: TestClient, cursor: str) -> None:
    aws.sensor("a")
    response = api.get("/sensors", params={"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_a_tampered_cursor_is_a_400(aws: Tables, api: TestClient) -> None:
    for i in range(3):
        aws.sensor(f"s-{i}")
    cursor = api.get("/sensors", params={"limit": 1}).headers[NEXT_CURSOR_HEADER]
    head, payload, mac = cursor.split(".")
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    response = api.get("/sensors", params={"cursor": f"{head}.{flipped}.{mac}"})
    assert response.status_code == 400
    assert "invalid cursor" in response.json()["error"]["message"]


def test_a_cursor_from_another_process_key_is_refused(aws: Tables, start: Start) -> None:
    for i in range(3):
        aws.sensor(f"s-{i}")
    with start(cursor_key="first-key-0123456789") as api:
        cursor = api.get("/sensors", params={"limit": 1}).headers[NEXT_CURSOR_HEADER]
    with start(cursor_key="second-key-0123456789") as api:
        assert api.get("/sensors", params={"cursor": cursor}).status_code == 400
    with start(cursor_key="first-key-0123456789") as api:
        assert api.get("/sensors", params={"cursor": cursor}).status_code == 200


def test_health_reports_the_deployed_version(api: TestClient) -> None:
    assert api.get("/health").json() == {"status": "ok", "service": "sensors", "version": "1.2.3-test"}


def test_dynamodb_failure_is_a_json_503(start: Start) -> None:
    with start(sensor_table="no-such-table") as api:
        response = api.get("/sensors/kitchen-1")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"


def test_a_short_cursor_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(cursor_key="s3cret-short")
    assert "cursor_key" in str(info.value)
    assert "s3cret" not in str(info.value)
