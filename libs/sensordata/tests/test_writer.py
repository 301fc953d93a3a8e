"""ReadingWriter against moto: first write wins, duplicates and conflicts told apart, ordered snapshots,
retries within the deadline, and honest results."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from homestack_sensordata import (
    Reading,
    ReadingWriter,
    RetryPolicy,
    SensorSnapshot,
    SensorStore,
    WriteResult,
    dynamodb_client,
)
from homestack_sensordata.faults import Faults, silent_endpoint
from homestack_sensordata.writer import SNAPSHOT_NOT_UPDATED

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
# In-process moto copies a whole table on every transaction: slow, so a generous deadline.
FAST = RetryPolicy(max_attempts=6, base_delay=0.001, max_delay=0.004, deadline=30.0)


def reading(sensor: str = "kitchen-1", minute: int = 0, **values: float) -> Reading:
    return Reading(
        sensor_id=sensor,
        ts=T0 + timedelta(minutes=minute),
        values=values or {"temperature": 20.0 + minute / 10},
    )


def writer(client: DynamoDBClient, **kwargs: Any) -> ReadingWriter:
    return ReadingWriter(
        client,
        sensors_table="test-sensors",
        readings_table="test-readings",
        retention=timedelta(days=30),
        retry=kwargs.pop("retry", FAST),
        **kwargs,
    )


def stored_keys(client: DynamoDBClient) -> list[tuple[str, str]]:
    items = client.scan(TableName="test-readings")["Items"]
    return sorted((i["sensor_id"]["S"], i["ts"]["S"]) for i in items)


def scan_sensor(client: DynamoDBClient, sensor: str) -> list[dict[str, Any]]:
    return client.query(
        TableName="test-readings",
        KeyConditionExpression="sensor_id = :s",
        ExpressionAttributeValues={":s": {"S": sensor}},
    )["Items"]


def snapshot(client: DynamoDBClient, sensor: str) -> dict[str, Any]:
    return client.get_item(TableName="test-sensors", Key={"sensor_id": {"S": sensor}})["Item"]


def test_items_carry_values_and_expiry_from_retention(dynamodb: DynamoDBClient) -> None:
    with writer(dynamodb) as w:
        result = w.write([reading(temperature=21.5, co2=612)])
    assert result == WriteResult(stored=(0,))
    item = dynamodb.get_item(
        TableName="test-readings",
        Key={"sensor_id": {"S": "kitchen-1"}, "ts": {"S": "2026-11-26T10:00:00.000Z"}},
    )["Item"]
    assert item["values"] == {"M": {"temperature": {"N": "21.5"}, "co2": {"N": "612.0"}}}
    assert int(item["expires_at"]["N"]) == int((T0 + timedelta(days=30)).timestamp())


def test_same_batch_twice_stores_each_reading_once(dynamodb: DynamoDBClient) -> None:
    batch = [reading(f"s-{n}", minute) for n in range(3) for minute in range(40)]
    with writer(dynamodb) as w:
        first = w.write(batch)
        second = w.write(batch)
    assert first == WriteResult(stored=tuple(range(120)))
    assert second == WriteResult(duplicates=tuple(range(120)))
    assert len(stored_keys(dynamodb)) == 120


def test_repeats_inside_one_batch_are_duplicates(dynamodb: DynamoDBClient) -> None:
    with writer(dynamodb) as w:
        result = w.write([reading(minute=1), reading(minute=2), reading(minute=1)])
    assert result == WriteResult(stored=(0, 1), duplicates=(2,))
    assert len(stored_keys(dynamodb)) == 2


def test_older_reading_never_moves_the_snapshot_back(dynamodb: DynamoDBClient) -> None:
    with writer(dynamodb) as w:
        w.write([Reading(sensor_id="hall", ts=T0, values={"humidity": 40}, name="Hall")])
        w.write([reading("hall", 10, humidity=55)])
        late = w.write([reading("hall", 5, humidity=47)])
    assert late.stored == (0,)  # history keeps the late reading ...
    latest = snapshot(dynamodb, "hall")  # ... but the snapshot stays at the newest one
    assert latest["ts"] == {"S": "2026-11-26T10:10:00.000Z"}
    assert latest["values"] == {"M": {"humidity": {"N": "55.0"}}}
    assert latest["units"] == {"M": {"humidity": {"S": "%"}}}
    assert latest["name"] == {"S": "Hall"}  # a reading without a name keeps the known one


def test_snapshot_takes_the_newest_reading_of_a_batch_in_any_order(dynamodb: DynamoDBClient) -> None:
    with writer(dynamodb) as w:
        w.write([reading("a", 3), reading("a", 9), reading("a", 1)])
    assert snapshot(dynamodb, "a")["ts"] == {"S": "2026-11-26T10:09:00.000Z"}


def test_throttling_and_cancelled_transactions_are_retried_until_everything_is_stored(
    dynamodb: DynamoDBClient,
) -> None:
    faults = Faults(dynamodb)
    # Five faults in all: fewer than the six attempts each call may make, wherever they land.
    faults.throttle("TransactWriteItems", 2)
    faults.throttle("UpdateItem", 2)
    faults.cancel_transactions(3)
    batch = [reading(f"s-{n}", minute) for n in range(5) for minute in range(100)]
    with writer(dynamodb, workers=4) as w:
        result = w.write(batch)
    assert result == WriteResult(stored=tuple(range(500)))
    assert len(stored_keys(dynamodb)) == 500
    # 5 transactions of 100, the 2 throttled again, and 2 for each cancelled (its halves apart)
    assert faults.calls["TransactWriteItems"] == 5 + 2 + 2 * 3


def test_a_reading_that_conflicts_for_good_holds_up_no_other(dynamodb: DynamoDBClient) -> None:
    faults = Faults(dynamodb)
    faults.refuse(["broken"])
    batch = [reading("ok", 1), reading("broken", 1), reading("ok", 2), reading("broken", 2)]
    with writer(dynamodb) as w:
        result = w.write(batch)
    assert result.stored == (0, 2)
    assert [(f.index, f.sensor_id, f.ts, f.retryable) for f in result.failed] == [
        (1, "broken", "2026-11-26T10:01:00.000Z", True),
        (3, "broken", "2026-11-26T10:02:00.000Z", True),
    ]
    assert result.failed[0].reason == "TransactionConflict (transaction cancelled)"
    assert stored_keys(dynamodb) == [("ok", "2026-11-26T10:01:00.000Z"), ("ok", "2026-11-26T10:02:00.000Z")]


def test_a_reading_dynamodb_refuses_for_good_is_isolated_and_not_retryable(dynamodb: DynamoDBClient) -> None:
    faults = Faults(dynamodb)
    faults.reject(["bad"])
    batch = [reading("ok", minute) for minute in range(40)]
    batch.insert(17, reading("bad", 3))
    with writer(dynamodb) as w:
        result = w.write(batch)
    assert [(f.index, f.sensor_id, f.reason, f.retryable) for f in result.failed] == [
        (17, "bad", "ValidationException", False)
    ]
    assert result.stored == tuple(i for i in range(41) if i != 17)
    assert len(stored_keys(dynamodb)) == 40
    # Halving finds the one item in a few calls, not one call per item, and retries none of them.
    assert faults.calls["TransactWriteItems"] <= 2 * 6 + 1


def test_a_failed_snapshot_update_is_reported_so_the_device_resends(dynamodb: DynamoDBClient) -> None:
    Faults(dynamodb).refuse_snapshots(["attic"])
    with writer(dynamodb) as w:
        result = w.write([reading("attic", 1), reading("attic", 2)])
    assert result.stored == (0,)
    assert [(f.index, f.reason, f.retryable) for f in result.failed] == [
        (
            1,
            "stored in history, but the sensor's latest snapshot was not updated "
            "(ProvisionedThroughputExceededException)",
            True,
        )
    ]
    with writer(boto3.client("dynamodb", region_name="eu-west-1")) as healthy:
        again = healthy.write([reading("attic", 2)])  # the device resends what was reported failed
    assert again == WriteResult(duplicates=(0,))
    assert snapshot(dynamodb, "attic")["ts"] == {"S": "2026-11-26T10:02:00.000Z"}


def test_a_missing_sensors_table_is_no_reason_to_resend(dynamodb: DynamoDBClient) -> None:
    missing = ReadingWriter(
        dynamodb, sensors_table="nope", readings_table="test-readings", retention=DAY, retry=FAST
    )
    with missing as w:
        result = w.write([reading("cellar", 1)])
    assert [(f.reason, f.retryable) for f in result.failed] == [
        (f"{SNAPSHOT_NOT_UPDATED} (ResourceNotFoundException)", False)
    ]


def test_a_missing_table_fails_every_reading_without_claiming_any(dynamodb: DynamoDBClient) -> None:
    w = ReadingWriter(
        dynamodb, sensors_table="test-sensors", readings_table="nope", retention=timedelta(days=1), retry=FAST
    )
    with w:
        result = w.write([reading(minute=1), reading(minute=2)])
    assert result.stored == result.duplicates == ()
    assert [(f.reason, f.retryable) for f in result.failed] == [("ResourceNotFoundException", False)] * 2


def test_backoff_is_bounded_by_the_deadline(dynamodb: DynamoDBClient) -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    Faults(dynamodb).refuse(["stuck"])
    policy = RetryPolicy(max_attempts=1000, base_delay=0.2, max_delay=0.2, deadline=2.0)
    with writer(dynamodb, retry=policy, sleep=sleep, clock=lambda: now[0]) as w:
        result = w.write([reading("stuck")])
    assert len(result.failed) == 1
    assert 0 < sum(slept) < 2.0
    assert all(0 <= s <= 0.2 for s in slept)
    assert len(slept) < 999  # stopped by time, not by the attempt budget


def test_retention_must_be_positive(dynamodb: DynamoDBClient) -> None:
    with pytest.raises(ValueError, match="retention must be positive"):
        ReadingWriter(dynamodb, sensors_table="a", readings_table="b", retention=timedelta(0))


def test_what_the_writer_stores_the_read_store_serves(store: SensorStore) -> None:
    late = Reading(sensor_id="porch", ts=T0, values={"temperature": 4.5}, name="Porch")
    newest = Reading(
        sensor_id="porch", ts=T0 + timedelta(minutes=5), values={"temperature": 5.25, "humidity": 80}
    )
    with writer(store.client) as w:
        w.write([newest, late])
    assert store.get_sensor("porch") == SensorSnapshot(
        sensor_id="porch",
        name="Porch",
        ts=T0 + timedelta(minutes=5),
        values={"temperature": 5.25, "humidity": 80.0},
        units={"temperature": "C", "humidity": "%"},
    )
    page = store.query_readings("porch", T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert [(r.ts, r.values) for r in page.items] == [
        (T0, {"temperature": 4.5}),
        (T0 + timedelta(minutes=5), {"temperature": 5.25, "humidity": 80.0}),
    ]


def test_a_later_reading_with_other_values_is_a_conflict_and_never_replaces_the_stored_one(
    dynamodb: DynamoDBClient,
) -> None:
    with writer(dynamodb) as w:
        first = w.write([reading("den", 1, temperature=20.0)])
        later = w.write([reading("den", 1, temperature=25.0), reading("den", 1, temperature=20.0)])
    assert first == WriteResult(stored=(0,))
    assert later == WriteResult(duplicates=(1,), conflicts=(0,))
    item = dynamodb.get_item(
        TableName="test-readings",
        Key={"sensor_id": {"S": "den"}, "ts": {"S": "2026-11-26T10:01:00.000Z"}},
    )["Item"]
    assert item["values"] == {"M": {"temperature": {"N": "20"}}} or item["values"] == {
        "M": {"temperature": {"N": "20.0"}}
    }
    assert snapshot(dynamodb, "den")["values"]["M"]["temperature"]["N"] in ("20", "20.0")


def test_inside_one_batch_the_first_reading_of_a_key_wins(dynamodb: DynamoDBClient) -> None:
    batch = [reading("hall", 1, co2=600), reading("hall", 1, co2=650), reading("hall", 1, co2=600)]
    with writer(dynamodb) as w:
        result = w.write([*batch, reading("hall", 2, co2=700)])
    assert result == WriteResult(stored=(0, 3), duplicates=(2,), conflicts=(1,))
    # The snapshot follows the newest reading whose values the table holds: never a conflicting one.
    assert snapshot(dynamodb, "hall")["ts"] == {"S": "2026-11-26T10:02:00.000Z"}


def test_writers_racing_on_the_same_keys_store_each_key_once(dynamodb: DynamoDBClient) -> None:
    batches = [[reading("race", minute, temperature=float(n)) for minute in range(150)] for n in range(6)]
    with writer(dynamodb) as w, ThreadPoolExecutor(6) as pool:
        results = list(pool.map(w.write, batches))
    assert sum(len(r.stored) for r in results) == 150
    assert all(len(r.stored) + len(r.conflicts) == 150 and not r.failed for r in results)
    table = {i["ts"]["S"]: float(i["values"]["M"]["temperature"]["N"]) for i in scan_sensor(dynamodb, "race")}
    assert len(table) == 150
    for n, result in enumerate(results):  # whoever was told "stored" is what the table holds
        assert all(table[batches[n][i].key[1]] == n for i in result.stored)


def test_a_lone_reading_is_one_conditional_put(dynamodb: DynamoDBClient) -> None:
    faults = Faults(dynamodb)
    with writer(dynamodb) as w:
        assert w.write([reading("porch", 1, temperature=4.0)]) == WriteResult(stored=(0,))
        assert w.write([reading("porch", 1, temperature=4.0)]) == WriteResult(duplicates=(0,))
        assert w.write([reading("porch", 1, temperature=5.0)]) == WriteResult(conflicts=(0,))
    assert (faults.calls["PutItem"], faults.calls["TransactWriteItems"]) == (3, 0)


def test_a_database_that_never_answers_fails_every_reading_by_the_deadline(dynamodb: DynamoDBClient) -> None:
    with silent_endpoint() as url:
        client = dynamodb_client(endpoint_url=url, max_attempts=1, retry_mode="standard", connect_timeout=0.5)
        policy = RetryPolicy(max_attempts=50, base_delay=0.01, max_delay=0.05, deadline=1.5, call_timeout=0.4)
        with writer(client, retry=policy) as w:
            started = time.monotonic()
            result = w.write([reading(f"s-{n}", minute) for n in range(3) for minute in range(80)])
            elapsed = time.monotonic() - started
    assert 1.0 < elapsed < 2.0  # tried until the deadline, and answered by it
    assert len(result.failed) == 240
    assert {(f.reason, f.retryable) for f in result.failed} == {("ReadTimeoutError", True)}


def test_a_refused_write_is_logged_with_its_error_code(
    dynamodb: DynamoDBClient, caplog: pytest.LogCaptureFixture
) -> None:
    w = ReadingWriter(
        dynamodb,
        sensors_table="nope",
        readings_table="test-readings",
        retention=timedelta(days=1),
        retry=FAST,
    )
    with w, caplog.at_level("WARNING", logger="homestack.writer"):
        result = w.write([reading(minute=1)])
    assert [f.reason.split(" (")[0] for f in result.failed] == [
        "stored in history, but the sensor's latest snapshot was not updated"
    ]
    assert [r.getMessage() for r in caplog.records] == [
        "DynamoDB refused writing to nope: ResourceNotFoundException"
    ]
