"""The write side: readings into history and snapshots, idempotent, retried, and reported honestly.

Item layout (what the sensors API reads back):
- readings table: `sensor_id` S, `ts` S (format_ts), `values` M of N, `expires_at` N (epoch seconds).
- sensors table: `sensor_id` S, `ts` S (format_ts), `values` M of N, `units` M of S, `name` S (optional,
  kept from an earlier reading when a newer one has none).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homestack_sensordata.models import UNITS, Reading, format_ts
from homestack_sensordata.write_support import (
    Key,
    RetryPolicy,
    failure_reason,
    is_retryable,
    key_of,
    number,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

logger = logging.getLogger("homestack.writer")
BATCH_GET_LIMIT = 100  # DynamoDB's maximum keys per BatchGetItem
BATCH_WRITE_LIMIT = 25  # DynamoDB's maximum items per BatchWriteItem
SNAPSHOT_NOT_UPDATED = "stored in history, but the sensor's latest snapshot was not updated"


@dataclass(frozen=True)
class Failure:
    """A reading that was not (completely) stored: resend it, the write is idempotent."""

    index: int
    sensor_id: str
    ts: str
    reason: str


@dataclass(frozen=True)
class WriteResult:
    """What happened to each reading of a write, by its index in the input."""

    stored: tuple[int, ...] = ()
    duplicates: tuple[int, ...] = ()
    failed: tuple[Failure, ...] = ()


@dataclass
class _Round:
    """Per-key outcomes of one write() call."""

    existing: set[Key] = field(default_factory=set)
    written: set[Key] = field(default_factory=set)
    failed: dict[Key, str] = field(default_factory=dict)


class ReadingWriter:
    """Writes readings idempotently: (sensor_id, ts) already stored is a duplicate, never a second item.

    Thread-safe; fans DynamoDB calls out over a small thread pool, so call `write` from a worker thread
    (never from an event loop) and `close()` it when done. The boto3 client should allow at least
    `workers` pooled connections (`max_pool_connections`).
    """

    def __init__(
        self,
        client: DynamoDBClient,
        *,
        sensors_table: str,
        readings_table: str,
        retention: timedelta,
        retry: RetryPolicy | None = None,
        workers: int = 16,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if retention <= timedelta(0):
            raise ValueError("retention must be positive")
        self._client = client
        self._sensors_table = sensors_table
        self._readings_table = readings_table
        self._retention_s = int(retention.total_seconds())
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reading-writer")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def __enter__(self) -> ReadingWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def write(self, readings: Sequence[Reading]) -> WriteResult:
        """Store `readings` (history and snapshots) and say exactly what was stored."""
        deadline = self._clock() + self._retry.deadline
        keys = [r.key for r in readings]
        first: dict[Key, int] = {}
        for index, key in enumerate(keys):
            first.setdefault(key, index)
        outcome = _Round()
        outcome.existing = self._find_existing(list(first), deadline)
        new = [readings[i] for key, i in first.items() if key not in outcome.existing]
        self._put_readings(new, outcome, deadline)
        snapshot_failed = self._update_snapshots(
            [readings[i] for key, i in first.items() if key in outcome.existing or key in outcome.written],
            deadline,
        )
        stored: list[int] = []
        duplicates: list[int] = []
        failed: list[Failure] = []
        for index, key in enumerate(keys):
            reason = outcome.failed.get(key) or (SNAPSHOT_NOT_UPDATED if key in snapshot_failed else None)
            if reason is not None:
                failed.append(Failure(index, key[0], key[1], reason))
            elif first[key] == index and key in outcome.written:
                stored.append(index)
            else:
                duplicates.append(index)
        return WriteResult(tuple(stored), tuple(duplicates), tuple(failed))

    # -- which keys are already stored -------------------------------------------------------------

    def _find_existing(self, keys: list[Key], deadline: float) -> set[Key]:
        chunks = [keys[i : i + BATCH_GET_LIMIT] for i in range(0, len(keys), BATCH_GET_LIMIT)]
        found: set[Key] = set()
        for part in self._pool.map(lambda chunk: self._get_chunk(chunk, deadline), chunks):
            found |= part
        return found

    def _get_chunk(self, keys: list[Key], deadline: float) -> set[Key]:
        # Keys whose lookup never succeeds are treated as new: writing a reading again under the
        # same key is harmless (one item per key), while skipping it could lose it.
        request: dict[str, Any] = {
            self._readings_table: {
                "Keys": [{"sensor_id": {"S": s}, "ts": {"S": t}} for s, t in keys],
                "ProjectionExpression": "sensor_id, #ts",
                "ExpressionAttributeNames": {"#ts": "ts"},
                "ConsistentRead": True,
            }
        }
        found: set[Key] = set()
        for attempt in range(self._retry.max_attempts):
            try:
                response = self._client.batch_get_item(RequestItems=request)
            except Exception as exc:
                if not is_retryable(exc) or not self._backoff(attempt, deadline):
                    return found
                continue
            found |= {key_of(item) for item in response.get("Responses", {}).get(self._readings_table, [])}
            request = dict(response.get("UnprocessedKeys") or {})
            if not request or not self._backoff(attempt, deadline):
                return found
        return found

    # -- history ------------------------------------------------------------------------------------

    def _item(self, reading: Reading) -> dict[str, Any]:
        return {
            "sensor_id": {"S": reading.sensor_id},
            "ts": {"S": format_ts(reading.ts)},
            "values": {"M": {m.value: {"N": number(v)} for m, v in reading.values.items()}},
            "expires_at": {"N": str(int(reading.ts.timestamp()) + self._retention_s)},
        }

    def _put_readings(self, readings: list[Reading], outcome: _Round, deadline: float) -> None:
        requests = [{"PutRequest": {"Item": self._item(r)}} for r in readings]
        chunks = [requests[i : i + BATCH_WRITE_LIMIT] for i in range(0, len(requests), BATCH_WRITE_LIMIT)]
        for written, failed in self._pool.map(lambda chunk: self._write_chunk(chunk, deadline), chunks):
            outcome.written |= written
            outcome.failed.update(failed)

    def _write_chunk(self, chunk: list[dict[str, Any]], deadline: float) -> tuple[set[Key], dict[Key, str]]:
        pending: list[Any] = chunk
        reason = "not attempted"
        for attempt in range(self._retry.max_attempts):
            try:
                response = self._client.batch_write_item(RequestItems={self._readings_table: pending})
            except Exception as exc:
                reason = failure_reason(exc)
                if not is_retryable(exc):
                    logger.warning("DynamoDB refused writing to %s: %s", self._readings_table, reason)
                    break
                if not self._backoff(attempt, deadline):
                    break
                continue
            unprocessed = list((response.get("UnprocessedItems") or {}).get(self._readings_table, []))
            if not unprocessed:
                pending = []
                break
            pending = unprocessed
            reason = f"DynamoDB left it unprocessed after {attempt + 1} attempts"
            if not self._backoff(attempt, deadline):
                break
        failed_keys = {key_of(r["PutRequest"]["Item"]) for r in pending}
        written = {key_of(r["PutRequest"]["Item"]) for r in chunk} - failed_keys
        return written, dict.fromkeys(failed_keys, reason)

    # -- latest snapshot per sensor -----------------------------------------------------------------

    def _update_snapshots(self, readings: list[Reading], deadline: float) -> set[Key]:
        """Move each sensor's snapshot to its newest reading here; return keys whose update failed."""
        newest: dict[str, Reading] = {}
        named: dict[str, Reading] = {}  # the newest reading of each sensor that carries a name
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
        results = self._pool.map(lambda r: self._update_snapshot(r, deadline), newest.values())
        return {reading.key for reading, ok in zip(newest.values(), results, strict=True) if not ok}

    def _update_snapshot(self, reading: Reading, deadline: float) -> bool:
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
        for attempt in range(self._retry.max_attempts):
            try:
                self._client.update_item(
                    TableName=self._sensors_table,
                    Key={"sensor_id": {"S": reading.sensor_id}},
                    UpdateExpression=update,
                    # An older (or the same) reading arriving late must never move the snapshot back.
                    ConditionExpression="attribute_not_exists(sensor_id) OR #ts < :ts",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )
                return True
            except Exception as exc:
                if failure_reason(exc) == "ConditionalCheckFailedException":
                    return True  # the stored snapshot is as new or newer: nothing to do
                if not is_retryable(exc):
                    logger.warning(
                        "DynamoDB refused writing to %s: %s", self._sensors_table, failure_reason(exc)
                    )
                    return False
                if not self._backoff(attempt, deadline):
                    return False
        return False

    def _backoff(self, attempt: int, deadline: float) -> bool:
        """Sleep before retry `attempt + 1`; False when no attempt or time is left for it."""
        if attempt + 1 >= self._retry.max_attempts:
            return False
        delay = self._retry.delay(attempt)
        if self._clock() + delay >= deadline:
            return False
        self._sleep(delay)
        return True
