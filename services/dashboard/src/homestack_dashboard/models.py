"""What the dashboard reads from the sensors API, parsed defensively: the API's data is untrusted."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

logger = logging.getLogger("homestack.dashboard.models")


def _utc(value: datetime) -> datetime:
    # A timestamp without a zone is taken as UTC (the API's contract), never as the server's local time.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _finite(values: dict[str, float]) -> dict[str, float]:
    return {metric: number for metric, number in values.items() if math.isfinite(number)}


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
# Strict numbers: a string or a boolean where a measurement should be is malformed data, not a value.
Values = Annotated[dict[str, Annotated[float, Field(strict=True)]], AfterValidator(_finite)]


class Snapshot(BaseModel):
    """A sensor's latest state: `GET /sensors` items and `GET /sensors/{id}`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    sensor_id: str
    name: str | None = None
    # None: a snapshot read from a table that never recorded when (a household's older table).
    ts: UtcDatetime | None
    values: Values
    units: dict[str, str] = {}

    @property
    def label(self) -> str:
        """What a person calls the sensor: its name if it has one, else its id."""
        return self.name or self.sensor_id


class Reading(BaseModel):
    """One stored reading: `GET /sensors/{id}/readings` items."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    ts: UtcDatetime
    values: Values


def with_latest(readings: list[Reading], snapshot: Snapshot, since: datetime) -> list[Reading]:
    """`readings` plus the snapshot's reading when it is newer than the last one and inside the window.

    The snapshot is read fresh every few seconds while the history is cached longer: this is how a new
    reading reaches charts and sparklines at once.
    """
    if snapshot.ts is None or snapshot.ts < since or (readings and readings[-1].ts >= snapshot.ts):
        return readings
    return [*readings, Reading(ts=snapshot.ts, values=snapshot.values)]


M = TypeVar("M", bound=BaseModel)


def parse_one(model: type[M], data: Any) -> M | None:
    """`data` as `model`, or None (logged) when the API sent something malformed."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        logger.warning(
            "ignored a malformed %s from the sensors API", model.__name__, extra={"error": str(exc)}
        )
        return None


def parse_many(model: type[M], data: Any) -> list[M]:
    """Every well-formed item of a JSON list; a malformed item is skipped, never a failed page."""
    if not isinstance(data, list):
        raise ValueError(f"expected a JSON list, got {type(data).__name__}")
    parsed = (parse_one(model, item) for item in data)
    return [item for item in parsed if item is not None]
