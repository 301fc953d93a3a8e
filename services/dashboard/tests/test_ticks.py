"""Axis ticks: round steps, labels that never repeat, a minimum span, and dates where a day begins."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from homestack_dashboard.ticks import nice_step, time_labels, time_ticks, value_axis


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_a_flat_series_gets_the_metrics_minimum_span_and_distinct_labels() -> None:
    axis = value_axis(1012.6, 1012.6, min_span=2.0)

    assert axis.low <= 1011.6
    assert axis.high >= 1013.6
    assert len(set(axis.labels)) == len(axis.labels) >= 3
    assert axis.labels[:2] == ["1,011.5", "1,012.0"]


def test_a_noisy_series_is_not_drawn_as_a_cliff_and_its_labels_do_not_repeat() -> None:
    jitter = random.Random(7)
    values = [20.55 + jitter.uniform(-0.05, 0.05) for _ in range(500)]

    axis = value_axis(min(values), max(values), min_span=1.0)

    assert axis.high - axis.low >= 1.0  # 0.1 degrees of noise fill a tenth of the height, not all of it
    assert len(set(axis.labels)) == len(axis.labels)
    assert axis.labels == ["20.0", "20.2", "20.4", "20.6", "20.8", "21.0", "21.2"]


def test_a_wide_range_gets_round_steps() -> None:
    axis = value_axis(874, 1320, min_span=50)

    assert axis.ticks == [800, 900, 1000, 1100, 1200, 1300, 1400]
    assert axis.labels[-1] == "1,400"


def test_negative_values_use_a_real_minus_sign() -> None:
    assert value_axis(-3.2, 1.4, min_span=1.0).labels[0] == "\u22124"


@given(
    low=st.floats(-1e6, 1e6, allow_nan=False),
    width=st.floats(0, 1e5, allow_nan=False),
    min_span=st.sampled_from([0.1, 1.0, 2.0, 5.0, 50.0]),
)
def test_any_series_gets_distinct_labels_covering_its_values(
    low: float, width: float, min_span: float
) -> None:
    axis = value_axis(low, low + width, min_span)

    assert len(set(axis.labels)) == len(axis.labels)
    assert 2 <= len(axis.ticks) <= 12
    slack = 1e-6 * (axis.high - axis.low)  # float noise below a millionth of the axis is not a miss
    assert axis.low <= low + slack
    assert axis.high >= low + width - slack


@given(
    low=st.floats(allow_nan=False, allow_infinity=False),
    high=st.floats(allow_nan=False, allow_infinity=False),
)
def test_values_at_the_edges_of_a_float_never_break_the_axis(low: float, high: float) -> None:
    low, high = min(low, high), max(low, high)

    axis = value_axis(low, high, min_span=0.1)  # the API's data is untrusted: any finite number may come

    assert len(axis.ticks) == len(axis.labels) >= 2
    assert len(set(axis.labels)) == len(axis.labels) or abs(low) > 1e300


def test_nice_steps_are_one_two_or_five_times_a_power_of_ten() -> None:
    assert [nice_step(span, 5) for span in (1, 3, 12, 446, 0.3)] == [0.2, 0.5, 2, 100, 0.05]


def test_time_ticks_sit_on_round_clock_times() -> None:
    start, end = epoch("2026-11-26T13:54:00"), epoch("2026-11-27T13:54:00")

    step, ticks = time_ticks(start, end)

    assert step == 6 * 3600
    assert [datetime.fromtimestamp(t, UTC).strftime("%H:%M") for t in ticks] == [
        "18:00",
        "00:00",
        "06:00",
        "12:00",
    ]


def test_an_axis_across_midnight_names_the_day_where_it_begins() -> None:
    start, end = epoch("2026-11-26T13:54:00"), epoch("2026-11-27T13:54:00")
    step, ticks = time_ticks(start, end)

    labels = time_labels(ticks, step, start, end)

    assert labels == [("18:00", "26 Nov"), ("00:00", "27 Nov"), ("06:00", ""), ("12:00", "")]


def test_an_axis_within_one_day_carries_no_dates() -> None:
    start, end = epoch("2026-11-26T09:00:00"), epoch("2026-11-26T10:00:00")
    step, ticks = time_ticks(start, end)

    labels = time_labels(ticks, step, start, end)

    assert step == 900
    assert all(date == "" for _, date in labels)
    assert [clock for clock, _ in labels] == ["09:00", "09:15", "09:30", "09:45", "10:00"]


def test_a_week_axis_shows_days_and_never_repeats_a_label() -> None:
    start, end = epoch("2026-11-20T13:54:00"), epoch("2026-11-27T13:54:00")
    step, ticks = time_ticks(start, end)

    labels = time_labels(ticks, step, start, end)

    assert step == 2 * 86400
    assert labels == [("21 Nov", ""), ("23 Nov", ""), ("25 Nov", ""), ("27 Nov", "")]


def test_a_clock_time_that_repeats_on_the_axis_carries_its_date() -> None:
    start, end = epoch("2026-11-25T02:00:00"), epoch("2026-11-26T20:00:00")  # 42 h: 12-hour steps
    step, ticks = time_ticks(start, end)

    labels = time_labels(ticks, step, start, end)

    assert len(set(labels)) == len(labels)
    assert all(date for _, date in labels)  # every clock time here occurs twice
