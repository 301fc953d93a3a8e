"""One instant, one key: ISO 8601 and epoch seconds follow one rule (the instant as written, cut to the
millisecond toward the past), and no timestamp, however extreme, raises anything but a ValueError."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from homestack_sensordata import Reading

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def key(ts: Any) -> tuple[str, str]:
    return Reading.model_validate({"sensor_id": "k", "ts": ts, "values": {"co2": 500}}).key


def iso(nanoseconds: int, offset_minutes: int) -> str:
    """The instant `nanoseconds` after the epoch, written in ISO 8601 at a UTC offset, all 9 digits."""
    zone = timezone(timedelta(minutes=offset_minutes))
    seconds, fraction = divmod(nanoseconds, 10**9)
    local = (EPOCH + timedelta(seconds=seconds)).astimezone(zone)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f".{fraction:09d}" + local.strftime("%z")


def epoch(nanoseconds: int) -> Decimal:
    """The same instant as epoch seconds, every digit kept (how JSON writes a number)."""
    return Decimal(nanoseconds) / 10**9


instants = st.integers(0, 4_102_444_800 * 10**9 - 1)  # up to 2100, at nanosecond resolution
offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59)


@given(instants, offsets)
@example(1_764_028_859_999_999_900, 0)  # 100 ns before a millisecond: rounding crossed it, cutting does not
@example(1_764_028_859_999_500_000, -59)  # exactly half a microsecond-rounding step below
def test_an_instant_in_iso_or_epoch_seconds_has_one_key(nanoseconds: int, offset: int) -> None:
    expected = EPOCH + timedelta(milliseconds=nanoseconds // 10**6)
    assert key(iso(nanoseconds, offset)) == key(epoch(nanoseconds)) == key(expected)


@given(st.floats(0, 4_102_444_800, allow_nan=False, allow_infinity=False))
def test_a_float_counts_as_the_digits_it_is_written_with(seconds: float) -> None:
    # A JSON encoder writes a float's shortest form; reading that text back must give the same key.
    assert key(seconds) == key(Decimal(repr(seconds)))


@pytest.mark.parametrize(
    ("ts", "message"),
    [
        ("9999-12-31T23:59:59-23:59", "timestamp out of range: in UTC it falls outside the years 1 to 9999"),
        ("0001-01-01T00:00:00+23:59", "timestamp out of range: in UTC it falls outside the years 1 to 9999"),
        (10**400, "epoch seconds out of range"),
        (Decimal("9" * 5000), "epoch seconds out of range"),
        (Decimal("1e999999999"), "epoch seconds out of range"),
        (Decimal("NaN"), "epoch seconds out of range"),
        (float("inf"), "epoch seconds out of range"),
        (-1, "epoch seconds out of range"),
        (32503680000, "epoch seconds out of range"),
    ],
)
def test_timestamps_out_of_range_are_validation_errors(ts: Any, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        key(ts)
    [error] = info.value.errors()
    assert error["loc"] == ("ts",)
    assert error["msg"] == f"Value error, {message}"


def test_a_decimal_with_thousands_of_digits_is_cut_not_rounded() -> None:
    assert key(Decimal("1764028859.999" + "9" * 5000)) == ("k", "2025-11-25T00:00:59.999Z")
