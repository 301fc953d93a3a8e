"""The write side: readings into history and snapshots, first write wins, retried, and reported honestly.

Item layout (what the sensors API reads back):
- readings table: `sensor_id` S, `ts` S (format_ts), `values` M of N, `expires_at` N (epoch seconds).
- sensors table: `sensor_id` S, `ts` S (format_ts), `values` M of N, `units` M of S, `name` S (optional,
  kept from an earlier reading when a newer one has none).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homestack_sensordata.attribute_values import Key, number, same_values
from homestack_sensordata.history import TRANSACT_LIMIT, History, Puts
from homestack_sensordata.models import Metric, Reading
from homestack_sensordata.retry import RetryPolicy, enable_call_timeouts
from homestack_sensordata.snapshot_updates import Snapshots, newest_per_sensor

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SNAPSHOT_NOT_UPDATED = "stored in history, but the sensor's latest snapshot was not updated"
NAMES = {metric: metric.value for metric in Metric}  # a dict lookup: Enum.value is two calls each time


@dataclass(frozen=True)
class Failure:
    """A reading that was not (completely) stored. `retryable`: resending it can succeed (the write is
    idempotent); if not, DynamoDB refused the reading itself and a resend would be refused again."""

    index: int
    sensor_id: str
    ts: str
    reason: str
    retryable: bool = True


@dataclass(frozen=True)
class WriteResult:
    """What happened to each reading of a write, by its index in the input: stored now; a duplicate of
    the stored reading of its key; a conflict (another reading of its key, with other values, is stored
    and stays); or failed."""

    stored: tuple[int, ...] = ()
    duplicates: tuple[int, ...] = ()
    conflicts: tuple[int, ...] = ()
    failed: tuple[Failure, ...] = ()


class ReadingWriter:
    """Writes readings so that each (sensor_id, ts) is stored once, by the first write of it.

    Thread-safe; fans DynamoDB calls out over a small thread pool, so call `write` from a worker thread
    (never from an event loop) and `close()` it when done. Give it a client that does not retry by
    itself (`dynamodb_client(max_attempts=1)`): the writer retries within its deadline, and cuts each
    call's read timeout to the time left. The client should pool at least `workers` connections.
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
        self._retry = retry or RetryPolicy()
        self._retention_s = int(retention.total_seconds())
        self._clock = clock
        enable_call_timeouts(client)
        self._history = History(client, readings_table, self._retry, clock=clock, sleep=sleep)
        self._snapshots = Snapshots(client, sensors_table, self._retry, clock=clock, sleep=sleep)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reading-writer")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def __enter__(self) -> ReadingWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def write(self, readings: Sequence[Reading], deadline: float | None = None) -> WriteResult:
        """Store `readings` (history and snapshots) and say what happened to each, by `deadline` (a
        `clock()` time; default: the retry policy's deadline from now)."""
        if deadline is None:
            deadline = self._clock() + self._retry.deadline
        keys = [r.key for r in readings]
        values = [{NAMES[m]: number(v) for m, v in r.values.items()} for r in readings]
        first: dict[Key, int] = {}
        for index, key in enumerate(keys):
            first.setdefault(key, index)
        items = {key: self._item(keys[i], values[i], readings[i]) for key, i in first.items()}
        chunks = [list(items.values())[i : i + TRANSACT_LIMIT] for i in range(0, len(items), TRANSACT_LIMIT)]
        puts = Puts()
        for part in self._pool.map(lambda chunk: self._history.put(chunk, deadline), chunks):
            puts.merge(part)

        stored: list[int] = []
        duplicates: list[int] = []
        conflicts: list[int] = []
        failed: dict[int, Failure] = {}
        for index, key in enumerate(keys):
            if key in puts.failed:
                reason, retryable = puts.failed[key]
                failed[index] = Failure(index, key[0], key[1], reason, retryable)
            elif key in puts.written and first[key] == index:
                stored.append(index)
            else:  # the key holds what we just wrote, or what was there before
                held = items[key] if key in puts.written else puts.existing[key]
                same = same_values(held.get("values", {}), values[index])
                (duplicates if same else conflicts).append(index)

        # The snapshot follows only readings whose values the table now holds: never a conflicting one.
        in_table = sorted([*stored, *duplicates])
        newest = newest_per_sensor(readings[i] for i in in_table)
        updated = self._pool.map(lambda reading: self._snapshots.update(reading, deadline), newest)
        lagging = {reading.key: why for reading, why in zip(newest, updated, strict=True) if why}
        for index in in_table:
            if keys[index] in lagging:
                reason, retryable = lagging[keys[index]]
                failed[index] = Failure(
                    index, keys[index][0], keys[index][1], f"{SNAPSHOT_NOT_UPDATED} ({reason})", retryable
                )
        return WriteResult(
            stored=tuple(i for i in stored if i not in failed),
            duplicates=tuple(i for i in duplicates if i not in failed),
            conflicts=tuple(conflicts),
            failed=tuple(failed[i] for i in sorted(failed)),
        )

    def _item(self, key: Key, values: dict[str, str], reading: Reading) -> dict[str, Any]:
        return {
            "sensor_id": {"S": key[0]},
            "ts": {"S": key[1]},
            "values": {"M": {metric: {"N": text} for metric, text in values.items()}},
            "expires_at": {"N": str(int(reading.ts.timestamp()) + self._retention_s)},
        }
