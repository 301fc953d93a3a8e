"""Pydantic models of what sensors report: a reading (one sensor, one instant) and a sensor's snapshot."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from homestack_sensordata.attribute_values import number_problem

STORABLE_MIN = 1e-130  # the smallest magnitude DynamoDB stores, other than 0 (see attribute_values)

SENSOR_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
SensorId = Annotated[str, StringConstraints(pattern=SENSOR_ID_PATTERN)]


class Metric(StrEnum):
    """What a sensor can measure; each has exactly one unit."""

    temperature = "temperature"
    humidity = "humidity"
    co2 = "co2"
    pressure = "pressure"
    pm25 = "pm25"
    voc = "voc"
    illuminance = "illuminance"
    battery = "battery"


UNITS: dict[Metric, str] = {
    Metric.temperature: "C",
    Metric.humidity: "%",
    Metric.co2: "ppm",
    Metric.pressure: "hPa",
    Metric.pm25: "ug/m3",
    Metric.voc: "ppb",
    Metric.illuminance: "lx",
    Metric.battery: "%",
}

# Physically possible ranges: a value outside is a broken sensor or a bad payload, never a reading.
RANGES: dict[Metric, tuple[float, float]] = {
    Metric.temperature: (-80.0, 150.0),
    Metric.humidity: (0.0, 100.0),
    Metric.co2: (0.0, 100_000.0),
    Metric.pressure: (300.0, 1200.0),
    Metric.pm25: (0.0, 10_000.0),
    Metric.voc: (0.0, 100_000.0),
    Metric.illuminance: (0.0, 200_000.0),
    Metric.battery: (0.0, 100.0),
}


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_EPOCH_SECONDS = 32503680000  # 3000-01-01: later than any reading, well inside what datetime holds
_MILLISECOND = Decimal("0.001")
TS_FORMS = "timestamp must be ISO 8601 with a zone or epoch seconds"


def to_utc(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC, cut to the millisecond (the storage resolution) toward the
    past: the one rule for every notation of an instant, so each instant has exactly one key."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must include a timezone (e.g. 2026-11-26T10:00:00Z)")
    try:
        value = value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-23:59 is in the year 10000 in UTC
        raise ValueError("timestamp out of range: in UTC it falls outside the years 1 to 9999") from None
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def format_ts(value: datetime) -> str:
    """The fixed-width UTC form used as the readings sort key, so string order is time order."""
    utc = to_utc(value)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_ts(value: str) -> datetime:
    """Parse a stored sort key (or any ISO 8601 string with a zone) back to an aware UTC datetime."""
    return to_utc(datetime.fromisoformat(value))


def value_problem(metric: Metric, number: float) -> str | None:
    """Why `number` cannot be a `metric` value, or None if it can (lets callers point at the metric)."""
    if not math.isfinite(number):
        return f"{metric.value} must be a finite number (got {number})"
    low, high = RANGES[metric]
    if not low <= number <= high:
        return f"{metric.value} must be between {low:g} and {high:g} {UNITS[metric]}"
    unstorable = number_problem(number)  # in range, yet no DynamoDB number (e.g. 1e-200)
    if unstorable:
        return f"{metric.value} {unstorable}"
    return None


def unit_problem(metric: Metric, unit: str) -> str | None:
    """Why `unit` is not the unit of `metric`, or None if it is."""
    if unit != UNITS[metric]:
        return f"unit {unit!r} is not valid for {metric.value}; use {UNITS[metric]!r}"
    return None


def from_epoch(seconds: float | Decimal) -> datetime:
    """The instant `seconds` after the epoch, cut to the millisecond toward the past like an ISO
    timestamp's digits. A float counts as its shortest decimal form (the digits a JSON encoder writes
    for it), a Decimal as every digit it has: the instant as written, never a rounded neighbour."""
    if isinstance(seconds, int) and not 0 <= seconds < MAX_EPOCH_SECONDS:  # never convert a huge int
        raise ValueError("epoch seconds out of range")
    try:
        exact = Decimal(repr(seconds)) if isinstance(seconds, float) else Decimal(seconds)
        if not (exact.is_finite() and 0 <= exact < MAX_EPOCH_SECONDS):
            raise ValueError("epoch seconds out of range")
        milliseconds = exact.quantize(_MILLISECOND, rounding=ROUND_FLOOR).scaleb(3)
    except InvalidOperation:
        raise ValueError("epoch seconds out of range") from None
    return EPOCH + timedelta(milliseconds=int(milliseconds))


def _timestamp(value: Any) -> datetime:
    if isinstance(value, bool):
        raise ValueError(TS_FORMS)
    if isinstance(value, int | float | Decimal):
        return from_epoch(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(TS_FORMS) from exc
        return to_utc(parsed)
    if isinstance(value, datetime):
        return to_utc(value)
    raise ValueError(TS_FORMS)


class Reading(BaseModel):
    """One sensor at one instant: the unit of ingest, idempotent on (sensor_id, ts)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sensor_id: SensorId
    ts: datetime
    values: dict[Metric, float] = Field(min_length=1)
    units: dict[Metric, str] | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=80, strip_whitespace=True)] | None = None

    @field_validator("ts", mode="before")
    @classmethod
    def _parse_ts(cls, value: Any) -> datetime:
        return _timestamp(value)

    @field_validator("values")
    @classmethod
    def _finite_and_in_range(cls, values: dict[Metric, float]) -> dict[Metric, float]:
        for metric, number in values.items():
            low, high = RANGES[metric]
            # The common case in one comparison chain (NaN and infinities fail it); value_problem says why.
            if not (low <= number <= high and (number == 0 or abs(number) >= STORABLE_MIN)):
                raise ValueError(value_problem(metric, number) or f"{metric.value} cannot be {number!r}")
        return values

    @field_validator("units")
    @classmethod
    def _canonical_units(cls, units: dict[Metric, str] | None) -> dict[Metric, str] | None:
        for metric, unit in (units or {}).items():
            problem = unit_problem(metric, unit)
            if problem:
                raise ValueError(problem)
        return units

    @property
    def key(self) -> tuple[str, str]:
        """The identity of a reading: a device that resends it does not create a second one."""
        return (self.sensor_id, format_ts(self.ts))


class SensorSnapshot(BaseModel):
    """The latest state of one sensor, as stored in the sensors table and served by the sensors API.

    Read models are lenient about the id (whatever is in the table is shown, escaped, never a 500);
    writes go through `Reading`, which is strict. `ts` is None for an item that does not say when its
    values were measured (a flat item of a table kept from before homestack).
    """

    model_config = ConfigDict(frozen=True)

    sensor_id: str
    name: str | None = None
    ts: datetime | None = Field(
        description="When the values were measured (UTC); null when the sensors table does not say, as for "
        "an item kept from a table written before homestack",
    )
    values: dict[str, float]
    units: dict[str, str]


class ReadingOut(BaseModel):
    """A stored reading as the sensors API returns it."""

    model_config = ConfigDict(frozen=True)

    sensor_id: str
    ts: datetime
    values: dict[str, float]


def snapshot_from_reading(reading: Reading) -> SensorSnapshot:
    """What the sensors table holds after `reading` is the newest one for its sensor."""
    return SensorSnapshot(
        sensor_id=reading.sensor_id,
        name=reading.name,
        ts=reading.ts,
        values={m.value: v for m, v in reading.values.items()},
        units={m.value: UNITS[m] for m in reading.values},
    )
