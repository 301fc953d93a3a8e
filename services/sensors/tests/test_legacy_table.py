"""A sensors table kept from before homestack, through HTTP: its flat items are served as snapshots whose
time is unknown (`"ts": null`, as the published schema says), on full pages, and a page that finds nothing
to show within its bound of DynamoDB calls is a JSON 503, never an empty page with a cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient

from homestack_sensordata import MAX_READ_CALLS, format_ts
from homestack_sensors.routes import NEXT_CURSOR_HEADER

if TYPE_CHECKING:
    from conftest import Tables

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _flat(aws: Tables, sensor_id: str, **attributes: Any) -> None:
    aws.client.put_item(TableName=aws.sensors_table, Item={"sensor_id": {"S": sensor_id}, **attributes})


def test_a_flat_item_is_served_as_a_snapshot_whose_time_is_unknown(aws: Tables, api: TestClient) -> None:
    _flat(aws, "kitchen", temperature={"N": "21"}, humidity={"S": "40"}, colour={"S": "red"})
    response = api.get("/sensors/kitchen")
    assert response.status_code == 200
    assert response.json() == {
        "sensor_id": "kitchen",
        "name": None,
        "ts": None,
        "values": {"temperature": 21.0, "humidity": 40.0},
        "units": {"temperature": "C", "humidity": "%"},
    }
    history = api.get("/sensors/kitchen/readings")
    assert (history.status_code, history.json()) == (200, [])


def test_flat_and_homestack_items_are_listed_together_on_full_pages(aws: Tables, api: TestClient) -> None:
    for i in range(7):
        _flat(aws, f"flat-{i}", temperature={"S": "bad"}, co2={"N": str(400 + i)})
    for i in range(6):
        aws.sensor(f"new-{i}")
    sizes: list[int] = []
    listed: dict[str, Any] = {}
    params: dict[str, str | int] = {"limit": 4}
    while True:
        response = api.get("/sensors", params=params)
        assert response.status_code == 200
        sizes.append(len(response.json()))
        listed.update({s["sensor_id"]: s for s in response.json()})
        if NEXT_CURSOR_HEADER not in response.headers:
            break
        params = {"limit": 4, "cursor": response.headers[NEXT_CURSOR_HEADER]}
    assert sizes == [4, 4, 4, 1]
    assert listed["flat-3"]["ts"] is None
    assert listed["flat-3"]["values"] == {"co2": 403.0}
    assert listed["new-2"]["ts"] == "2026-11-26T10:00:00Z"


def test_the_schema_says_a_snapshot_time_may_be_null(api: TestClient) -> None:
    schema = api.get("/openapi.json").json()["components"]["schemas"]["SensorSnapshot"]
    assert "ts" in schema["required"]  # always present in the JSON, null when unknown
    ts = schema["properties"]["ts"]
    assert {"type": "null"} in ts["anyOf"]
    assert {"type": "string", "format": "date-time"} in ts["anyOf"]
    assert "null when the sensors table does not say" in ts["description"]


def test_a_page_with_nothing_readable_within_its_bound_is_a_json_503(aws: Tables, api: TestClient) -> None:
    aws.sensor("s")
    run = 2 ** (MAX_READ_CALLS + 1)  # more malformed readings in a row than one page may read
    items: list[Any] = [
        {"sensor_id": {"S": "s"}, "ts": {"S": format_ts(T0 + timedelta(seconds=n))}, "values": {"S": "x"}}
        for n in range(run)
    ]
    for start in range(0, run, 25):
        chunk: Any = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        aws.client.batch_write_item(RequestItems={aws.readings_table: chunk})
    aws.readings("s", T0 + timedelta(seconds=run), 1, timedelta(seconds=1))  # readable, but too far
    params: dict[str, str | int] = {
        "since": "2026-11-26T10:00:00Z",
        "until": "2026-11-27T10:00:00Z",
        "limit": 1,
    }
    response = api.get("/sensors/s/readings", params=params)
    assert response.status_code == 503
    message = response.json()["error"]["message"]
    assert message.startswith(f"sensor store unavailable: {MAX_READ_CALLS} DynamoDB pages in a row")
