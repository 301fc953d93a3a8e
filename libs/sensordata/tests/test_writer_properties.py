"""Property: whatever DynamoDB refuses, the writer's result is a true account of the table, and the first
stored reading of a key is never replaced."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import boto3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mypy_boto3_dynamodb import DynamoDBClient

from homestack_sensordata import Metric, Reading, ReadingWriter, RetryPolicy
from homestack_sensordata.faults import Faults, one_write_at_a_time
from homestack_sensordata.writer import SNAPSHOT_NOT_UPDATED

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
RUNS = itertools.count()
# (sensor, minute, which of two values): the same key can come with the same values or other ones.
reading_strategy = st.tuples(st.integers(0, 3), st.integers(0, 40), st.integers(0, 1))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    keys=st.lists(reading_strategy, min_size=1, max_size=120),
    already=st.lists(reading_strategy, max_size=20),
    throttles=st.integers(0, 4),
    cancelled=st.integers(0, 12),
    refused=st.sets(st.integers(0, 3), max_size=2),
    refused_snapshots=st.sets(st.integers(0, 3), max_size=1),
)
def test_the_result_is_a_true_account_of_the_table_and_the_first_write_of_a_key_wins(
    dynamodb: DynamoDBClient,
    keys: list[tuple[int, int, int]],
    already: list[tuple[int, int, int]],
    throttles: int,
    cancelled: int,
    refused: set[int],
    refused_snapshots: set[int],
) -> None:
    run = next(RUNS)  # every example writes its own sensors, so examples never see each other's items

    def reading(sensor: int, minute: int, variant: int) -> Reading:
        return Reading(
            sensor_id=f"r{run}-s{sensor}", ts=T0 + timedelta(minutes=minute), values={"co2": 500.0 + variant}
        )

    client = boto3.client("dynamodb", region_name="eu-west-1")  # fresh hooks for this example
    one_write_at_a_time(client)
    policy = RetryPolicy(max_attempts=4, base_delay=0.0005, max_delay=0.001)
    with ReadingWriter(
        client,
        sensors_table="test-sensors",
        readings_table="test-readings",
        retention=timedelta(days=30),
        retry=policy,
    ) as writer:
        before = writer.write([reading(*k) for k in already])
        faults = Faults(client)
        faults.throttle("TransactWriteItems", throttles)
        faults.throttle("PutItem", throttles)
        faults.throttle("UpdateItem", throttles)
        faults.cancel_transactions(cancelled)
        faults.refuse(f"r{run}-s{s}" for s in refused)
        faults.refuse_snapshots(f"r{run}-s{s}" for s in refused_snapshots)
        batch = [reading(*k) for k in keys]
        result = writer.write(batch)

    items = dynamodb.scan(
        TableName="test-readings",
        FilterExpression="begins_with(sensor_id, :p)",
        ExpressionAttributeValues={":p": {"S": f"r{run}-"}},
    )["Items"]
    table = {(i["sensor_id"]["S"], i["ts"]["S"]): float(i["values"]["M"]["co2"]["N"]) for i in items}
    # Nothing failed in the first write, so its first reading of each key is what that key holds.
    assert before.failed == ()
    first_before: dict[tuple[str, str], dict[Metric, float]] = {}
    for k in already:
        first_before.setdefault(reading(*k).key, reading(*k).values)
    assert {key: {"co2": value} for key, value in table.items() if key in first_before} == {
        key: {m.value: v for m, v in values.items()} for key, values in first_before.items()
    }

    failed = {f.index: f for f in result.failed}
    outcomes = sorted([*result.stored, *result.duplicates, *result.conflicts, *failed])
    assert outcomes == list(range(len(batch)))  # every reading has exactly one fate
    for index in [*result.stored, *result.duplicates]:
        assert table[batch[index].key] == batch[index].values[Metric.co2]  # its values are what is stored
    for index in result.conflicts:
        assert table[batch[index].key] != batch[index].values[Metric.co2]  # stored, with other values
    for index, failure in failed.items():
        assert (failure.sensor_id, failure.ts) == batch[index].key
        assert failure.retryable
        if not failure.reason.startswith(SNAPSHOT_NOT_UPDATED):
            assert batch[index].key not in table or batch[index].key in first_before
    stored_keys = [batch[index].key for index in result.stored]
    assert len(stored_keys) == len(set(stored_keys))  # stored once, by its first reading here
    assert not set(stored_keys) & set(first_before)
    assert set(table) <= {r.key for r in batch} | set(first_before)
