"""The read side of the DynamoDB store: one sensor, every sensor page by page, a sensor's readings by time."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from boto3.dynamodb.types import TypeDeserializer
from pydantic import ValidationError

from homestack_sensordata.cursor import CursorCodec, InvalidCursorError
from homestack_sensordata.models import ReadingOut, SensorSnapshot, format_ts
from homestack_sensordata.retry import RetryPolicy
from homestack_sensordata.tables import READINGS, SENSORS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

logger = logging.getLogger("homestack.store")
T = TypeVar("T")

MAX_PAGE_SIZE = 1000
BATCH_GET_KEYS = 100  # DynamoDB's limit for one BatchGetItem
# Unprocessed keys are asked for again with the writer's backoff (full jitter), at most this often.
_UNPROCESSED_RETRY = RetryPolicy(max_attempts=5)
_deserializer = TypeDeserializer()


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
    with a cursor, and nothing is dropped between pages.
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

    def get_sensor(self, sensor_id: str) -> SensorSnapshot | None:
        """The latest snapshot of `sensor_id`, or None if the sensors table has no such sensor."""
        response = self.client.get_item(TableName=self.sensors_table, Key={"sensor_id": {"S": sensor_id}})
        raw = response.get("Item")
        return None if raw is None else _snapshot(raw)

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
                    found[sensor_id] = _snapshot(raw)
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
        raws, more = self._collect(self.client.scan, args, limit)
        snapshots = [s for s in map(_snapshot, raws) if s is not None]
        next_cursor = None
        if more:
            next_cursor = self._cursors.encode("sensors", {"sensor_id": raws[-1]["sensor_id"]["S"]})
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
        raws, more = self._collect(self.client.query, args, limit)
        readings = [r for r in map(_reading, raws) if r is not None]
        next_cursor = None
        if more:
            next_cursor = self._cursors.encode(scope, {"sensor_id": sensor_id, "ts": raws[-1]["ts"]["S"]})
        return Page(readings, next_cursor)

    @staticmethod
    def _collect(call: Any, args: dict[str, Any], limit: int) -> tuple[list[dict[str, Any]], bool]:
        """Fetch up to limit + 1 items (following DynamoDB's own pages, which stop at 1 MB) so we know
        whether another page exists; return the first `limit` and that answer."""
        items: list[dict[str, Any]] = []
        while True:
            response = call(**args)
            items.extend(response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if len(items) > limit:
                return items[:limit], True
            if not last:
                return items, False
            args = {**args, "ExclusiveStartKey": last, "Limit": limit + 1 - len(items)}


def _snapshot(raw: Mapping[str, AttributeValueTypeDef]) -> SensorSnapshot | None:
    item = _item(raw)
    item.setdefault("units", {})  # the seed's items carry no units; still show the sensor
    try:
        return SensorSnapshot.model_validate(item)
    except ValidationError as exc:
        # One malformed row (e.g. written by the seed's old code) must not take every listing down.
        logger.warning("skipping malformed sensor item", extra={"item": repr(item)[:200], "error": str(exc)})
        return None


def _reading(raw: Mapping[str, AttributeValueTypeDef]) -> ReadingOut | None:
    item = _item(raw)
    try:
        return ReadingOut.model_validate(item)
    except ValidationError as exc:
        logger.warning("skipping malformed reading", extra={"item": repr(item)[:200], "error": str(exc)})
        return None
