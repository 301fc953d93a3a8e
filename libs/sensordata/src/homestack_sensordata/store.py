"""The read side of the DynamoDB store: one sensor, every sensor page by page, a sensor's readings by time."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from boto3.dynamodb.types import TypeDeserializer
from pydantic import ValidationError

from homestack_sensordata.cursor import CursorCodec, InvalidCursorError
from homestack_sensordata.models import ReadingOut, SensorSnapshot, format_ts
from homestack_sensordata.retry import RetryPolicy
from homestack_sensordata.snapshots import LeftOut, snapshot_from_item
from homestack_sensordata.tables import READINGS, SENSORS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

logger = logging.getLogger("homestack.store")
T = TypeVar("T")

MAX_PAGE_SIZE = 1000
# DynamoDB calls one page may take while items it cannot show are skipped: each asks for what the page
# still lacks plus as many items as were skipped so far, so ten calls read up to 1023 times the page (or
# 10 MB, DynamoDB answering at most 1 MB a call) before the page gives up looking.
MAX_READ_CALLS = 10
MALFORMED_READING = "malformed reading"
BATCH_GET_KEYS = 100  # DynamoDB's limit for one BatchGetItem
# Unprocessed keys are asked for again with the writer's backoff (full jitter), at most this often.
_UNPROCESSED_RETRY = RetryPolicy(max_attempts=5)
_deserializer = TypeDeserializer()


class UnreadablePageError(RuntimeError):
    """MAX_READ_CALLS DynamoDB pages in a row held nothing that could be shown: the page gives up rather
    than answer empty with a cursor (which a client would follow forever) or end the listing early."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and the cursor for the next one (None on the last page)."""

    items: list[T]
    next_cursor: str | None = None


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; the models and JSON want floats."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_plain(v) for v in value]
    return value


def _item(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _plain(_deserializer.deserialize(value)) for key, value in raw.items()}


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE} (got {limit})")


class SensorStore:
    """Reads the sensors (latest snapshot) and readings (history) tables through one shared client.

    Every call is synchronous boto3: async callers run it in a worker thread. Pages are exact: a cursor
    is returned only when at least one more item exists, so the last page never comes back empty-handed
    with a cursor, and nothing is dropped between pages. Items that cannot be shown are skipped, and a
    page keeps reading past them (at most MAX_READ_CALLS calls), so a page is never empty while more
    items exist. What reading had to leave out is counted in `left_out` and logged now and then.
    """

    def __init__(
        self,
        client: DynamoDBClient,
        *,
        sensors_table: str,
        readings_table: str,
        cursor_key: bytes | str,
    ) -> None:
        self.client = client
        self.sensors_table = sensors_table
        self.readings_table = readings_table
        self._cursors = CursorCodec(cursor_key)
        self.left_out = LeftOut(logger)

    def get_sensor(self, sensor_id: str) -> SensorSnapshot | None:
        """The latest snapshot of `sensor_id`, or None if the sensors table has no such sensor."""
        response = self.client.get_item(TableName=self.sensors_table, Key={"sensor_id": {"S": sensor_id}})
        raw = response.get("Item")
        return None if raw is None else snapshot_from_item(raw, self.left_out)

    def get_sensors(self, sensor_ids: Iterable[str]) -> dict[str, SensorSnapshot | None]:
        """The latest snapshots of many sensors at once, None for each unknown one (BatchGetItem, 100
        keys per call). Keys DynamoDB leaves unprocessed are asked for again with a short backoff; any
        still unprocessed after that are left out of the answer, so a caller can tell them apart."""
        wanted = list(dict.fromkeys(sensor_ids))
        found: dict[str, SensorSnapshot | None] = {}
        for start in range(0, len(wanted), BATCH_GET_KEYS):
            chunk = wanted[start : start + BATCH_GET_KEYS]
            keys: list[Mapping[str, Any]] = [{"sensor_id": {"S": sensor_id}} for sensor_id in chunk]
            answered: set[str] = set()
            for attempt in range(_UNPROCESSED_RETRY.max_attempts):
                response = self.client.batch_get_item(RequestItems={self.sensors_table: {"Keys": keys}})
                for raw in response.get("Responses", {}).get(self.sensors_table, []):
                    sensor_id = raw["sensor_id"]["S"]
                    answered.add(sensor_id)
                    found[sensor_id] = snapshot_from_item(raw, self.left_out)
                left: Any = response.get("UnprocessedKeys") or {}
                keys = list(left.get(self.sensors_table, {}).get("Keys", []))
                if not keys:
                    break
                if attempt + 1 < _UNPROCESSED_RETRY.max_attempts:
                    time.sleep(_UNPROCESSED_RETRY.delay(attempt))
            unprocessed = {key["sensor_id"]["S"] for key in keys}
            for sensor_id in chunk:
                if sensor_id not in answered and sensor_id not in unprocessed:
                    found[sensor_id] = None
        return found

    def list_sensors(self, limit: int = 100, cursor: str | None = None) -> Page[SensorSnapshot]:
        """Up to `limit` snapshots in table order, continuing after `cursor` (from a previous page)."""
        _check_limit(limit)
        args: dict[str, Any] = {"TableName": self.sensors_table, "Limit": limit + 1}
        if cursor:
            start = self._cursors.decode("sensors", cursor, [SENSORS.partition_key])
            args["ExclusiveStartKey"] = {name: {"S": value} for name, value in start.items()}
        snapshots, last = self._fill(self.client.scan, args, limit, self._snapshot)
        next_cursor = None
        if last is not None:
            next_cursor = self._cursors.encode("sensors", {"sensor_id": last["sensor_id"]["S"]})
        return Page(snapshots, next_cursor)

    def query_readings(
        self,
        sensor_id: str,
        since: datetime,
        until: datetime,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[ReadingOut]:
        """Readings of `sensor_id` with since <= ts <= until, oldest first, continuing after `cursor`."""
        _check_limit(limit)
        low, high = format_ts(since), format_ts(until)
        scope = f"readings:{sensor_id}"
        after: str | None = None
        if cursor:
            position = self._cursors.decode(scope, cursor, [READINGS.partition_key, READINGS.sort_key or ""])
            if position["sensor_id"] != sensor_id:
                raise InvalidCursorError("cursor belongs to another sensor")
            after = position["ts"]
        if low > high or (after is not None and after >= high):
            return Page([])
        args: dict[str, Any] = {
            "TableName": self.readings_table,
            "KeyConditionExpression": "sensor_id = :id AND ts BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":id": {"S": sensor_id}, ":low": {"S": low}, ":high": {"S": high}},
            "ScanIndexForward": True,
            "Limit": limit + 1,
        }
        # A cursor means "strictly after this ts". When the window moved (until defaults to now), a cursor
        # older than the new start means "from the start": DynamoDB would reject it as out of bounds.
        if after is not None and after >= low:
            args["ExclusiveStartKey"] = {"sensor_id": {"S": sensor_id}, "ts": {"S": after}}
        readings, last = self._fill(self.client.query, args, limit, self._reading)
        next_cursor = None
        if last is not None:
            next_cursor = self._cursors.encode(scope, {"sensor_id": sensor_id, "ts": last["ts"]["S"]})
        return Page(readings, next_cursor)

    @staticmethod
    def _fill(
        call: Callable[..., Any],
        args: dict[str, Any],
        limit: int,
        parse: Callable[[Mapping[str, Any]], T | None],
    ) -> tuple[list[T], Mapping[str, Any] | None]:
        """Up to `limit` items that `parse` accepts, and the key of the item to continue after (None when
        no item is left).

        Asks for limit + 1 items so it knows whether another exists, following DynamoDB's own pages
        (1 MB each) and reading past the items `parse` refuses, for at most MAX_READ_CALLS calls. At that
        bound, the items found so far are the page and the next one starts after the last item read;
        with none found, UnreadablePageError.
        """
        kept: list[T] = []
        previous: Mapping[str, Any] = {}
        skipped = 0
        last: Mapping[str, Any] | None = None
        for _ in range(MAX_READ_CALLS):
            response = call(**args)
            for raw in response.get("Items", []):
                item = parse(raw)
                if item is None:
                    skipped += 1
                elif len(kept) == limit:
                    # One more exists. The next page starts right before it, not after the last item
                    # kept, so what was skipped in between is not read again.
                    return kept, previous
                else:
                    kept.append(item)
                previous = raw
            last = response.get("LastEvaluatedKey")
            if not last:
                return kept, None
            args = {**args, "ExclusiveStartKey": last, "Limit": limit + 1 - len(kept) + skipped}
        if not kept:
            raise UnreadablePageError(
                f"{MAX_READ_CALLS} DynamoDB pages in a row ({skipped} items) held nothing that could be shown"
            )
        return kept, last

    def _snapshot(self, raw: Mapping[str, Any]) -> SensorSnapshot | None:
        return snapshot_from_item(raw, self.left_out)

    def _reading(self, raw: Mapping[str, Any]) -> ReadingOut | None:
        item = _item(raw)
        try:
            return ReadingOut.model_validate(item)
        except ValidationError:
            # One malformed row (written by hand or by older code) must not take the history down.
            self.left_out.add(MALFORMED_READING, f"{item.get('sensor_id')}@{item.get('ts')}")
            return None
