"""Writes through HTTP: idempotent, ordered snapshots, retried under throttling, honest 503s."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from homestack_ingest.testing import SENSORS_TABLE, Service
from homestack_sensordata import format_ts
from homestack_sensordata.faults import Faults

NOW = datetime.now(UTC).replace(microsecond=0)


def batch(sensors: int, per_sensor: int) -> list[dict[str, Any]]:
    return [
        {
            "sensor_id": f"s-{s}",
            "ts": (NOW - timedelta(seconds=10 * n)).isoformat(),
            "values": {"temperature": 20 + n / 100, "co2": 500 + n},
        }
        for s in range(sensors)
        for n in range(per_sensor)
    ]


def snapshot_ts(service: Service, sensor: str) -> str:
    item = service.dynamodb.get_item(TableName=SENSORS_TABLE, Key={"sensor_id": {"S": sensor}})["Item"]
    return item["ts"]["S"]


def test_the_same_batch_twice_is_stored_once_and_then_counted_as_duplicates(service: Service) -> None:
    readings = batch(4, 25)
    first = service.post({"readings": readings})
    second = service.post({"readings": readings})
    assert first.json() == {"received": 100, "stored": 100, "duplicates": 0}
    assert second.json() == {"received": 100, "stored": 0, "duplicates": 100}
    assert len(service.stored()) == 100


def test_the_same_instant_in_another_notation_is_a_duplicate(service: Service) -> None:
    service.post({"sensor_id": "a", "ts": NOW.isoformat(), "values": {"temperature": 20}})
    again = service.post({"sensor_id": "a", "ts": NOW.timestamp(), "values": {"temperature": 20}})
    assert again.json() == {"received": 1, "stored": 0, "duplicates": 1}


def test_an_older_reading_arriving_late_does_not_move_the_snapshot_back(service: Service) -> None:
    newest, older = NOW, NOW - timedelta(minutes=5)
    service.post({"sensor_id": "hall", "ts": newest.isoformat(), "values": {"temperature": 22}})
    late = service.post({"sensor_id": "hall", "ts": older.isoformat(), "values": {"temperature": 18}})
    assert late.json() == {"received": 1, "stored": 1, "duplicates": 0}
    assert snapshot_ts(service, "hall") == format_ts(newest)
    assert len(service.stored()) == 2


def test_throttling_and_unprocessed_items_are_retried_and_every_acknowledged_reading_is_stored(
    service: Service,
) -> None:
    faults = Faults(service.ingest.client)
    faults.throttle("BatchWriteItem", 3)
    faults.throttle("BatchGetItem", 1)
    faults.throttle("UpdateItem", 2)
    faults.leave_unprocessed(8)
    readings = batch(10, 50)
    response = service.post({"readings": readings})
    assert response.json() == {"received": 500, "stored": 500, "duplicates": 0}
    expected = sorted((r["sensor_id"], format_ts(datetime.fromisoformat(r["ts"]))) for r in readings)
    assert service.stored() == expected
    assert faults.calls["BatchWriteItem"] > 20


def test_a_persistent_failure_answers_503_listing_exactly_what_was_not_stored(service: Service) -> None:
    Faults(service.ingest.client).refuse(["s-1"])
    readings = batch(3, 2)
    response = service.post({"readings": readings})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    body = response.json()
    assert body["received"] == 6
    assert body["stored"] == 4
    assert body["duplicates"] == 0
    assert [(n["index"], n["sensor_id"], n["ts"]) for n in body["not_stored"]] == [
        (2, "s-1", format_ts(NOW)),
        (3, "s-1", format_ts(NOW - timedelta(seconds=10))),
    ]
    assert body["error"]["code"] == "unavailable"
    assert [d["field"] for d in body["error"]["details"]] == ["readings[2]", "readings[3]"]
    stored = service.stored()
    assert len(stored) == 4
    assert all(sensor != "s-1" for sensor, _ in stored)  # nothing reported stored that is not


def test_a_slow_database_does_not_hold_up_other_requests(service: Service) -> None:
    Faults(service.ingest.client).delay("BatchWriteItem", 4.0)
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(service.post, {"readings": batch(1, 5)})
        time.sleep(0.5)  # the write is now waiting on DynamoDB
        started = time.perf_counter()
        health = service.http.get("/health")
        elapsed = time.perf_counter() - started
        assert not slow.done()
        assert slow.result().json() == {"received": 5, "stored": 5, "duplicates": 0}
    assert health.status_code == 200
    assert elapsed < 2.0  # answered while the write was still blocked in a worker thread
