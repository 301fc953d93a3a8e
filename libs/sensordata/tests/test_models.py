"""Reading validation: what a device may send, and the exact reason when it may not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from homestack_sensordata import Metric, Reading, format_ts, parse_ts, snapshot_from_reading


def _reading(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sensor_id": "kitchen-1",
        "ts": "2026-11-26T10:00:00Z",
        "values": {"temperature": 21.5},
    }
    base.update(overrides)
    return base


def _error(**overrides: Any) -> tuple[str, str]:
    with pytest.raises(ValidationError) as info:
        Reading.model_validate(_reading(**overrides))
    first = info.value.errors()[0]
    return ".".join(str(p) for p in first["loc"]), first["msg"]


def test_iso_with_offset_and_epoch_seconds_mean_the_same_instant() -> None:
    iso = Reading.model_validate(_reading(ts="2026-11-26T11:00:00+01:00"))
    epoch = Reading.model_validate(_reading(ts=datetime(2026, 11, 26, 10, tzinfo=UTC).timestamp()))
    assert iso.ts == epoch.ts == datetime(2026, 11, 26, 10, tzinfo=UTC)
    assert iso.key == epoch.key == ("kitchen-1", "2026-11-26T10:00:00.000Z")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param({"sensor_id": "Kitchen 1"}, "sensor_id", "String should match pattern", id="id-pattern"),
        pytest.param({"ts": "2026-11-26T10:00:00"}, "ts", "must include a timezone", id="naive-ts"),
        pytest.param({"ts": "yesterday"}, "ts", "ISO 8601 with a zone or epoch seconds", id="bad-ts"),
        pytest.param({"ts": True}, "ts", "ISO 8601 with a zone or epoch seconds", id="bool-ts"),
        pytest.param({"values": {}}, "values", "at least 1 item", id="no-values"),
        pytest.param({"values": {"radiation": 1}}, "values.radiation.[key]", "Input should be", id="metric"),
        pytest.param({"values": {"temperature": float("nan")}}, "values", "finite number", id="nan"),
        pytest.param({"values": {"co2": float("inf")}}, "values", "finite number", id="inf"),
        pytest.param({"values": {"humidity": 140}}, "values", "between 0 and 100 %", id="range"),
        pytest.param({"units": {"temperature": "F"}}, "units", "use 'C'", id="unit"),
        pytest.param({"colour": "red"}, "colour", "Extra inputs are not permitted", id="unknown-field"),
    ],
)
def test_invalid_readings_name_the_field_and_reason(
    overrides: dict[str, Any], field: str, message: str
) -> None:
    loc, msg = _error(**overrides)
    assert loc == field
    assert message in msg


def test_timestamps_are_stored_fixed_width_utc_so_string_order_is_time_order() -> None:
    a = datetime(2026, 1, 2, 3, 4, 5, 678_999, tzinfo=timezone(timedelta(hours=2)))
    b = a + timedelta(milliseconds=1)
    assert format_ts(a) == "2026-01-02T01:04:05.678Z"
    assert format_ts(a) < format_ts(b)
    assert parse_ts(format_ts(a)) == a.replace(microsecond=678_000)


def test_snapshot_carries_canonical_units() -> None:
    reading = Reading.model_validate(_reading(values={"temperature": 20, "co2": 600}, name="Kitchen"))
    snapshot = snapshot_from_reading(reading)
    assert snapshot.units == {"temperature": "C", "co2": "ppm"}
    assert snapshot.values == {"temperature": 20.0, "co2": 600.0}
    assert snapshot.name == "Kitchen"
    assert Metric("co2") is Metric.co2
