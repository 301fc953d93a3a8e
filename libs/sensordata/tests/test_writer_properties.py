"""Property: whatever DynamoDB refuses, the writer's result is a true account of the table."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import boto3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mypy_boto3_dynamodb import DynamoDBClient

from homestack_sensordata import Reading, ReadingWriter, RetryPolicy
from homestack_sensordata.faults import Faults
from homestack_sensordata.writer import SNAPSHOT_NOT_UPDATED

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
RUNS = itertools.count()
keys_strategy = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 40)), min_size=1, max_size=120)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    keys=keys_strategy,
    already=st.sets(st.tuples(st.integers(0, 3), st.integers(0, 40)), max_size=20),
    throttles=st.integers(0, 4),
    unprocessed=st.integers(0, 12),
    refused=st.sets(st.integers(0, 3), max_size=2),
    refused_snapshots=st.sets(st.integers(0, 3), max_size=1),
)
def test_stored_and_duplicate_readings_are_in_the_table_and_failed_ones_are_not(
    dynamodb: DynamoDBClient,
    keys: list[tuple[int, int]],
    already: set[tuple[int, int]],
    throttles: int,
    unprocessed: int,
    refused: set[int],
    refused_snapshots: set[int],
) -> None:
    run = next(RUNS)  # every example writes its own sensors, so examples never see each other's items

    def reading(sensor: int, minute: int) -> Reading:
        return Reading(
            sensor_id=f"r{run}-s{sensor}", ts=T0 + timedelta(minutes=minute), values={"co2": 500.0}
        )

    client = boto3.client("dynamodb", region_name="eu-west-1")  # fresh hooks for this example
    policy = RetryPolicy(max_attempts=4, base_delay=0.0005, max_delay=0.001)
    with ReadingWriter(
        client,
        sensors_table="test-sensors",
        readings_table="test-readings",
        retention=timedelta(days=30),
        retry=policy,
    ) as writer:
        writer.write([reading(s, m) for s, m in sorted(already)])
        faults = Faults(client)
        faults.throttle("BatchWriteItem", throttles)
        faults.throttle("UpdateItem", throttles)
        faults.leave_unprocessed(unprocessed)
        faults.refuse(f"r{run}-s{s}" for s in refused)
        faults.refuse_snapshots(f"r{run}-s{s}" for s in refused_snapshots)
        batch = [reading(s, m) for s, m in keys]
        result = writer.write(batch)

    items = dynamodb.scan(
        TableName="test-readings",
        FilterExpression="begins_with(sensor_id, :p)",
        ExpressionAttributeValues={":p": {"S": f"r{run}-"}},
    )["Items"]
    table = {(i["sensor_id"]["S"], i["ts"]["S"]) for i in items}
    failed = {f.index: f for f in result.failed}
    assert sorted([*result.stored, *result.duplicates, *failed]) == list(range(len(batch)))
    for index in [*result.stored, *result.duplicates]:
        assert batch[index].key in table  # never reported stored unless it is
    for index, failure in failed.items():
        assert (failure.sensor_id, failure.ts) == batch[index].key
        if failure.reason != SNAPSHOT_NOT_UPDATED:
            assert batch[index].key not in table or (keys[index] in already)
    first_seen: dict[tuple[int, int], int] = {}
    for index, key in enumerate(keys):
        first_seen.setdefault(key, index)
    for index in result.stored:
        assert first_seen[keys[index]] == index
        assert keys[index] not in already
    assert table <= {r.key for r in batch} | {reading(s, m).key for s, m in already}
