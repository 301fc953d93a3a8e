"""Writes through HTTP: first write wins, conflicts named, ordered snapshots, retried under throttling,
honest 503s, 500 (never 503) for what no retry can fix, and an answer by the deadline."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from homestack_common.testing import client_for
from homestack_ingest.app import app
from homestack_ingest.settings import get_settings
from homestack_ingest.testing import KEY, SENSORS_TABLE, Service, answer, settings_for_tests
from homestack_sensordata import format_ts
from homestack_sensordata.faults import Faults, silent_endpoint

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
    assert first.json() == answer(100, stored=100, duplicates=0)
    assert second.json() == answer(100, stored=0, duplicates=100)
    assert len(service.stored()) == 100


def test_the_same_instant_in_another_notation_is_a_duplicate(service: Service) -> None:
    service.post({"sensor_id": "a", "ts": NOW.isoformat(), "values": {"temperature": 20}})
    again = service.post({"sensor_id": "a", "ts": NOW.timestamp(), "values": {"temperature": 20}})
    assert again.json() == answer(1, stored=0, duplicates=1)


def test_an_older_reading_arriving_late_does_not_move_the_snapshot_back(service: Service) -> None:
    newest, older = NOW, NOW - timedelta(minutes=5)
    service.post({"sensor_id": "hall", "ts": newest.isoformat(), "values": {"temperature": 22}})
    late = service.post({"sensor_id": "hall", "ts": older.isoformat(), "values": {"temperature": 18}})
    assert late.json() == answer(1, stored=1, duplicates=0)
    assert snapshot_ts(service, "hall") == format_ts(newest)
    assert len(service.stored()) == 2


def test_throttling_and_cancelled_transactions_are_retried_and_every_acknowledged_reading_is_stored(
    service: Service,
) -> None:
    faults = Faults(service.ingest.client)
    faults.throttle("TransactWriteItems", 2)  # five faults in all: each call may make five attempts
    faults.throttle("UpdateItem", 1)
    faults.cancel_transactions(2)
    readings = batch(10, 50)
    response = service.post({"readings": readings})
    assert response.json() == answer(500, stored=500, duplicates=0)
    expected = sorted((r["sensor_id"], format_ts(datetime.fromisoformat(r["ts"]))) for r in readings)
    assert service.stored() == expected
    assert faults.calls["TransactWriteItems"] == 5 + 2 + 2 * 2


def test_a_persistent_failure_answers_503_listing_exactly_what_was_not_stored(service: Service) -> None:
    Faults(service.ingest.client).refuse(["s-1"])
    readings = batch(3, 2)
    response = service.post({"readings": readings})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    body = response.json()
    assert (body["received"], body["stored"], body["duplicates"], body["conflicts"]) == (6, 4, 0, 0)
    assert [(n["index"], n["sensor_id"], n["ts"], n["retryable"]) for n in body["not_stored"]] == [
        (2, "s-1", format_ts(NOW), True),
        (3, "s-1", format_ts(NOW - timedelta(seconds=10)), True),
    ]
    assert body["error"]["code"] == "unavailable"
    assert [d["field"] for d in body["error"]["details"]] == ["readings[2]", "readings[3]"]
    stored = service.stored()
    assert len(stored) == 4
    assert all(sensor != "s-1" for sensor, _ in stored)  # nothing reported stored that is not


def test_a_slow_database_does_not_hold_up_other_requests(service: Service) -> None:
    Faults(service.ingest.client).delay("TransactWriteItems", 4.0)
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(service.post, {"readings": batch(1, 5)})
        time.sleep(0.5)  # the write is now waiting on DynamoDB
        started = time.perf_counter()
        health = service.http.get("/health")
        elapsed = time.perf_counter() - started
        assert not slow.done()
        assert slow.result().json() == answer(5, stored=5, duplicates=0)
    assert health.status_code == 200
    assert elapsed < 2.0  # answered while the write was still blocked in a worker thread


def test_a_different_reading_for_a_stored_key_is_a_conflict_and_the_stored_one_stays(
    service: Service,
) -> None:
    first = {"sensor_id": "den", "ts": NOW.isoformat(), "values": {"temperature": 20.0}}
    other = {**first, "values": {"temperature": 26.5}}
    assert service.post(first).json() == answer(1, stored=1)
    later = service.post({"readings": [other, first, other]})
    assert later.status_code == 200
    assert later.json() == answer(3, duplicates=1, conflicting=[0, 2])
    [item] = service.dynamodb.scan(TableName="t-readings")["Items"]
    assert float(item["values"]["M"]["temperature"]["N"]) == 20.0
    snapshot = service.dynamodb.get_item(TableName=SENSORS_TABLE, Key={"sensor_id": {"S": "den"}})["Item"]
    assert float(snapshot["values"]["M"]["temperature"]["N"]) == 20.0


def test_readings_dynamodb_refuses_for_good_get_a_500_that_is_not_a_503_and_the_rest_is_stored(
    service: Service,
) -> None:
    Faults(service.ingest.client).reject(["s-2"])
    readings = batch(4, 5)
    response = service.post({"readings": readings})
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    body = response.json()
    assert body["error"]["code"] == "internal_error"
    assert "no retry can fix" in body["error"]["message"]
    assert (body["received"], body["stored"], body["conflicts"]) == (20, 15, 0)
    assert [(n["index"], n["reason"], n["retryable"]) for n in body["not_stored"]] == [
        (i, "ValidationException", False) for i in range(10, 15)
    ]
    assert len(service.stored()) == 15


def test_a_dynamodb_that_never_answers_gets_a_503_by_the_deadline_plus_a_second() -> None:
    with silent_endpoint() as url:
        settings = settings_for_tests(aws_endpoint_url=url, write_deadline_seconds=1.5)
        with get_settings.override(settings), client_for(app) as http:
            started = time.monotonic()
            response = http.post("/readings", json={"readings": batch(3, 40)}, headers={"X-API-Key": KEY})
            elapsed = time.monotonic() - started
    assert elapsed < 1.5 + 1
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    body = response.json()
    assert [n["index"] for n in body["not_stored"]] == list(range(120))
    assert {(n["reason"], n["retryable"]) for n in body["not_stored"]} == {("ReadTimeoutError", True)}
