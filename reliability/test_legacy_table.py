"""A household's own sensors table, kept from before homestack (flat items such as
`{"sensor_id": "kitchen", "temperature": 21, "humidity": "40"}`), is served by the real sensors service:
every sensor is listed, no page comes back empty with a cursor, values are read from the flat
attributes, the time is `null` as the published schema allows, and what had to be left out is counted
in a few warnings instead of one log line per item per request."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import jsonschema  # type: ignore[import-untyped]  # comes with schemathesis, which ships no stubs for it
import pytest
from harness.servers import uvicorn_app

from homestack_sensordata import SENSORS, create_table, dynamodb_client
from reliability.figures import Figures
from reliability.fleet import KEY, Fleet, service_env

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

LEGACY_TABLE = "reliability-home-sensors"
GOOD = 37  # flat items whose metrics are all readable
# Flat items with values that must be left out: (item, the values that stay).
BAD: list[tuple[dict[str, AttributeValueTypeDef], dict[str, float]]] = [
    ({"temperature": {"S": "warm"}, "humidity": {"N": "140"}}, {}),
    ({"co2": {"S": "n/a"}, "battery": {"N": "87"}}, {"battery": 87.0}),
    ({"temperature": {"S": "inf"}, "pressure": {"S": "1013.25"}}, {"pressure": 1013.25}),
    ({"humidity": {"BOOL": True}, "voc": {"L": [{"N": "1"}]}}, {}),
]
PAGE = 5


def _flat_items() -> Iterator[tuple[dict[str, AttributeValueTypeDef], dict[str, float]]]:
    yield (
        {"sensor_id": {"S": "kitchen"}, "temperature": {"N": "21"}, "humidity": {"S": "40"}},
        {
            "temperature": 21.0,
            "humidity": 40.0,
        },
    )
    for number in range(GOOD - 1):
        temperature, humidity = 15 + number / 4, 30 + number
        item: dict[str, AttributeValueTypeDef] = {
            "sensor_id": {"S": f"room-{number:02d}"},
            "temperature": {"N": str(temperature)},
            "humidity": {"S": str(humidity)},  # the seed's app wrote some numbers as strings
            "location": {"S": "upstairs"},  # not a metric: ignored
            "updated": {"N": "1700000000"},  # not a metric either, and not read as a time
        }
        yield item, {"temperature": temperature, "humidity": float(humidity)}
    for number, (values, kept) in enumerate(BAD):
        yield {"sensor_id": {"S": f"broken-{number}"}, **values}, kept


@pytest.fixture(scope="module")
def legacy(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The sensors service (cache off, so every request reads the table) over the household's table."""
    client = dynamodb_client(endpoint_url=fleet.dynamodb)
    create_table(client, SENSORS, LEGACY_TABLE)
    for item, _ in _flat_items():
        client.put_item(TableName=LEGACY_TABLE, Item=item)
    log = tmp_path_factory.mktemp("legacy") / "sensors-legacy.log"
    env = service_env(fleet.dynamodb, SENSOR_TABLE=LEGACY_TABLE, CACHE_TTL="0", LOG_LEVEL="info")
    with uvicorn_app("homestack_sensors.app:app", env=env, log=log) as url:
        yield url, log


def _walk(http: httpx.Client) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    params: dict[str, str | int] = {"limit": PAGE}
    while len(pages) < 100:
        response = http.get("/sensors", params=params)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            return pages
        assert pages[-1], f"page {len(pages)} is empty but carries a next cursor"
        params = {"limit": PAGE, "cursor": cursor}
    raise AssertionError("the listing never ended")


def test_every_flat_item_is_listed_on_full_pages(legacy: tuple[str, Path], figures: Figures) -> None:
    url, _ = legacy
    expected = {item["sensor_id"]["S"]: kept for item, kept in _flat_items()}
    with httpx.Client(base_url=url, timeout=10) as http:
        pages = _walk(http)
    figures.count("cases tried", len(pages))
    listed = [snapshot for page in pages for snapshot in page]
    assert [len(page) for page in pages] == [PAGE] * (len(expected) // PAGE) + [len(expected) % PAGE]
    assert sorted(s["sensor_id"] for s in listed) == sorted(expected)
    for snapshot in listed:
        assert snapshot["ts"] is None
        assert snapshot["values"] == pytest.approx(expected[snapshot["sensor_id"]])
    assert len(pages) == math.ceil(len(expected) / PAGE)
    figures.note(f"legacy table: {len(listed)} flat items listed on {len(pages)} pages, none empty")


def test_a_flat_item_is_a_snapshot_with_known_metrics_units_and_no_time(legacy: tuple[str, Path]) -> None:
    url, _ = legacy
    with httpx.Client(base_url=url, timeout=10) as http:
        response = http.get("/sensors/kitchen")
        spec = http.get("/openapi.json").json()
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "sensor_id": "kitchen",
        "name": None,
        "ts": None,
        "values": {"temperature": 21.0, "humidity": 40.0},
        "units": {"temperature": "C", "humidity": "%"},
    }
    # What the service answers is what it publishes: `"ts": null` is valid against its own schema.
    schema = {"$ref": "#/components/schemas/SensorSnapshot", "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


def test_left_out_values_are_counted_in_a_few_warnings_not_one_line_per_item(
    legacy: tuple[str, Path],
) -> None:
    url, log = legacy
    with httpx.Client(base_url=url, timeout=10) as http:
        for _ in range(5):
            _walk(http)
            for number in range(len(BAD)):
                assert http.get(f"/sensors/broken-{number}").status_code == 200
        http.get("/health")  # the log writer flushes within its linger; give it a request's time
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    warnings = [e for e in entries if e["level"] == "warning" and e["logger"].startswith("homestack.store")]
    # 5 listings and 20 single reads each met the 7 bad values: one warning says so, with the counts.
    assert 1 <= len(warnings) <= 2, [w["message"] for w in warnings]
    first = warnings[0]
    assert first["ignored"]["not a number"] >= 1
    assert "broken-" in first["message"]


def test_ingest_moves_a_flat_items_snapshot_forward(
    fleet: Fleet, legacy: tuple[str, Path], tmp_path: Path
) -> None:
    """After the switch, the household's first homestack reading replaces the flat item's values with a
    timed snapshot: a flat item has no `ts`, so any reading is newer than it."""
    url, _ = legacy
    env = service_env(fleet.dynamodb, SENSOR_TABLE=LEGACY_TABLE, INGEST_API_KEY=KEY)
    reading = {"sensor_id": "kitchen", "ts": "2026-12-07T12:00:00Z", "values": {"temperature": 22.5}}
    with uvicorn_app("homestack_ingest.app:app", env=env, log=tmp_path / "ingest.log") as ingest:
        stored = httpx.post(f"{ingest}/readings", json=reading, headers={"X-API-Key": KEY}, timeout=30)
    assert stored.status_code == 200, stored.text
    assert stored.json()["stored"] == 1
    snapshot = httpx.get(f"{url}/sensors/kitchen", timeout=10).json()
    assert snapshot["ts"] == "2026-12-07T12:00:00Z"
    assert snapshot["values"] == {"temperature": 22.5}
