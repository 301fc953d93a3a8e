"""How an item of the sensors table becomes a snapshot: the shape homestack writes, and the flat items of
a table kept from before homestack (`{"sensor_id": "kitchen", "temperature": 21, "humidity": "40"}`).

Every item with a string `sensor_id` is shown. What cannot be shown (a value that is not a number or is
out of its metric's range, a `ts` that is not a time) is left out of the snapshot and counted.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from homestack_sensordata.models import UNITS, Metric, SensorSnapshot, parse_ts, value_problem

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

NOT_A_NUMBER = "not a number"
OUT_OF_RANGE = "out of range"
NOT_A_TIME = "ts is not a time"
NO_SENSOR_ID = "no string sensor_id"

_METRICS = {metric.value: metric for metric in Metric}
# A decimal number as people and the seed's code wrote them into string attributes ("40", " 21.5",
# "-3e2"). Stricter than float(), which also takes "nan", "inf" and "1_000".
_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
_EXAMPLE_LENGTH = 120


class LeftOut:
    """Counts what reading items had to leave out, and says so in a warning now and then, not per item.

    The first thing left out is logged at once; after that at most one warning per `interval` seconds,
    with the counts since the previous one and an example. A table read on every request would
    otherwise log the same bad values again and again. `totals` holds the counts since the start.
    """

    def __init__(
        self,
        logger: logging.Logger,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._since_warning: Counter[str] = Counter()
        self._example = ""
        self._warned_at: float | None = None
        self.totals: Counter[str] = Counter()

    def add(self, reason: str, where: str) -> None:
        """Count one thing left out: `reason` (e.g. NOT_A_NUMBER) at `where` (e.g. `kitchen.humidity`)."""
        with self._lock:
            self.totals[reason] += 1
            self._since_warning[reason] += 1
            if not self._example:
                self._example = f"{where[:_EXAMPLE_LENGTH]}: {reason}"
            now = self._clock()
            if self._warned_at is not None and now - self._warned_at < self._interval:
                return
            counts, example = dict(self._since_warning), self._example
            self._since_warning.clear()
            self._example = ""
            self._warned_at = now
        self._logger.warning(
            "stored sensor data left out: %d could not be shown since the last such warning, e.g. %s "
            "(at most one such warning every %g s)",
            sum(counts.values()),
            example,
            self._interval,
            extra={"ignored": counts},
        )


def _where(sensor_id: str, attribute: str) -> str:
    return f"{sensor_id}.{attribute}"


def _number(value: AttributeValueTypeDef) -> float | None:
    """The number a DynamoDB number or numeric string holds; None for anything else."""
    text = value.get("N", value.get("S"))
    if isinstance(text, str) and _NUMBER.fullmatch(text):
        return float(text)  # may be inf ("1e400"): the caller's range check says so
    return None


def _value(sensor_id: str, name: str, value: AttributeValueTypeDef, left_out: LeftOut) -> float | None:
    """A metric's value if it can be shown: a number, finite, and in range for a known metric."""
    number = _number(value)
    metric = _METRICS.get(name)
    if number is None:
        left_out.add(NOT_A_NUMBER, _where(sensor_id, name))
        return None
    if (metric is not None and value_problem(metric, number)) or not math.isfinite(number):
        left_out.add(OUT_OF_RANGE, _where(sensor_id, name))
        return None
    return number


def _string(value: AttributeValueTypeDef | None) -> str | None:
    text = None if value is None else value.get("S")
    return text if isinstance(text, str) else None


def _ts(sensor_id: str, value: AttributeValueTypeDef | None, left_out: LeftOut) -> datetime | None:
    if value is None:
        return None
    text = _string(value)
    try:
        if text is not None:
            return parse_ts(text)
    except (ValueError, OverflowError):
        pass
    left_out.add(NOT_A_TIME, _where(sensor_id, "ts"))
    return None


def snapshot_from_item(raw: Mapping[str, AttributeValueTypeDef], left_out: LeftOut) -> SensorSnapshot | None:
    """The snapshot an item of the sensors table shows, or None if it has no string `sensor_id`.

    Homestack's shape (a `values` map): its numbers, `units`, `name` and `ts`. Any other item is a flat
    item from before homestack: each attribute named after a known metric (temperature, humidity, co2,
    pressure, pm25, voc, illuminance, battery) holding a number or a numeric string is a value in the
    metric's canonical unit, `name` is kept if it is a string, everything else is ignored, and there is
    no `ts` (null in the API: the table does not say when the values were measured).
    """
    sensor_id = _string(raw.get("sensor_id"))
    if sensor_id is None:
        left_out.add(NO_SENSOR_ID, "sensors item")
        return None
    values: dict[str, float] = {}
    units: dict[str, str] = {}
    ts: datetime | None = None
    stored: Any = raw.get("values", {}).get("M")
    if isinstance(stored, dict):
        for name, value in stored.items():
            number = _value(sensor_id, name, value, left_out)
            if number is not None:
                values[name] = number
        stored_units: Any = raw.get("units", {}).get("M") or {}
        units = {name: unit for name, value in stored_units.items() if (unit := _string(value)) is not None}
        ts = _ts(sensor_id, raw.get("ts"), left_out)
    else:
        for name, value in raw.items():
            metric = _METRICS.get(name)
            if metric is not None and (number := _value(sensor_id, name, value, left_out)) is not None:
                values[name] = number
                units[name] = UNITS[metric]
    return SensorSnapshot(
        sensor_id=sensor_id, name=_string(raw.get("name")), ts=ts, values=values, units=units
    )
