"""Each sensor's latest snapshot in the sensors table: moved only forward, never back to an older reading."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from homestack_sensordata.attribute_values import number
from homestack_sensordata.models import UNITS, Reading, format_ts
from homestack_sensordata.retry import Attempts, RetryPolicy, failure_reason, is_retryable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

logger = logging.getLogger("homestack.writer")

# A snapshot moves only forward; an item kept from before homestack has no ts: any reading is newer.
NEWER = "attribute_not_exists(sensor_id) OR attribute_not_exists(#ts) OR #ts < :ts"


def newest_per_sensor(readings: Iterable[Reading]) -> list[Reading]:
    """The newest reading of each sensor, named after the newest reading that carries a name."""
    newest: dict[str, Reading] = {}
    named: dict[str, Reading] = {}
    for reading in readings:
        current = newest.get(reading.sensor_id)
        if current is None or reading.ts > current.ts:
            newest[reading.sensor_id] = reading
        known = named.get(reading.sensor_id)
        if reading.name is not None and (known is None or reading.ts > known.ts):
            named[reading.sensor_id] = reading
    for sensor_id, reading in newest.items():
        if reading.name is None and sensor_id in named:  # devices often name themselves only now and then
            newest[sensor_id] = reading.model_copy(update={"name": named[sensor_id].name})
    return list(newest.values())


class Snapshots:
    """Conditional updates of the sensors table, retried within a deadline; thread-safe."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        policy: RetryPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client, self._table, self._policy = client, table, policy
        self._clock, self._sleep = clock, sleep

    def update(self, reading: Reading, deadline: float) -> tuple[str, bool] | None:
        """Move the sensor's snapshot to `reading` unless it already holds a reading as new; None when
        done, else (why not, whether a retry could get past it)."""
        names = {"#ts": "ts", "#values": "values", "#units": "units"}
        values: dict[str, Any] = {
            ":ts": {"S": format_ts(reading.ts)},
            ":values": {"M": {m.value: {"N": number(v)} for m, v in reading.values.items()}},
            ":units": {"M": {m.value: {"S": UNITS[m]} for m in reading.values}},
        }
        update = "SET #ts = :ts, #values = :values, #units = :units"
        if reading.name is not None:
            names["#name"] = "name"
            values[":name"] = {"S": reading.name}
            update += ", #name = :name"
        failed = ("not attempted: no time was left", True)
        attempts = Attempts(self._policy, deadline, clock=self._clock, sleep=self._sleep)
        for attempt in attempts:
            try:
                with attempts.timeout():
                    self._client.update_item(
                        TableName=self._table,
                        Key={"sensor_id": {"S": reading.sensor_id}},
                        UpdateExpression=update,
                        # An older (or the same) reading arriving late must never move the snapshot back.
                        # An item kept from before homestack has no ts: any reading is newer than it.
                        ConditionExpression=NEWER,
                        ExpressionAttributeNames=names,
                        ExpressionAttributeValues=values,
                    )
                return None
            except Exception as exc:
                if failure_reason(exc) == "ConditionalCheckFailedException":
                    return None  # the stored snapshot is as new or newer: nothing to do
                failed = (failure_reason(exc), is_retryable(exc))
                if not failed[1]:  # a service's logs must say why a snapshot did not move
                    logger.warning("DynamoDB refused writing to %s: %s", self._table, failed[0])
                    return failed
                if not attempts.backoff(attempt):
                    return failed
        return failed
