"""Axis ticks the way charting libraries choose them: round steps, a domain that ends on ticks, and labels
that never repeat.

The value steps follow d3-array's `tickIncrement` (1, 2 or 5 times a power of ten, whichever is nearest
to the span over the wanted count; https://github.com/d3/d3-array/blob/main/src/ticks.js); time steps
come from a ladder of clock-friendly intervals, as in d3-time's scale ticks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

VALUE_TICKS = 5  # about this many intervals on a value axis
TIME_TICKS = 6  # at most this many labels on a time axis
# Clock-friendly tick intervals, in seconds: 1, 2, 5, 10, 15, 30 min; 1, 2, 3, 6, 12 h; 1, 2 d; 1 week.
TIME_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)
DAY = 86400
MINUS = "\u2212"  # a real minus sign: as wide as a digit and not a hyphen


@dataclass(frozen=True)
class ValueAxis:
    """A value domain that starts and ends on ticks, its ticks and their labels (all different)."""

    low: float
    high: float
    ticks: list[float]
    labels: list[str]


def nice_step(span: float, count: int) -> float:
    """The step of about `count` ticks over `span`: 1, 2 or 5 times a power of ten."""
    raw = span / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    error = raw / power
    if error >= math.sqrt(50):
        return power * 10
    if error >= math.sqrt(10):
        return power * 5
    if error >= math.sqrt(2):
        return power * 2
    return power


def _decimals(step: float) -> int:
    """Enough decimals to tell ticks `step` apart: 0 for 5, 1 for 0.5 or 0.2, 2 for 0.05."""
    return max(0, -math.floor(math.log10(step) + 1e-9))


def value_axis(low: float, high: float, min_span: float, count: int = VALUE_TICKS) -> ValueAxis:
    """The axis over [low, high], widened about its middle to at least `min_span`, then to whole steps."""
    # A span finer than the values' own precision would give ticks a float cannot tell apart.
    min_span = max(min_span, max(abs(low), abs(high)) * 1e-9)
    if high - low < min_span:
        middle = low / 2 + high / 2
        low, high = middle - min_span / 2, middle + min_span / 2
    if not math.isfinite(high - low):
        # Past what a float can hold (the API's data is untrusted): the two ends, as they are.
        return ValueAxis(low, high, [low, high], [f"{low:.3g}", f"{high:.3g}"])
    step = nice_step(high - low, count)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    ticks = list(dict.fromkeys(round(i * step, 12) for i in range(first, last + 1)))
    decimals = _decimals(step)
    labels = [f"{tick:,.{decimals}f}" for tick in ticks]
    while len(set(labels)) < len(labels) and decimals < 15:  # not reached with 1-2-5 steps: a guard
        decimals += 1
        labels = [f"{tick:,.{decimals}f}" for tick in ticks]
    return ValueAxis(ticks[0], ticks[-1], ticks, [label.replace("-", MINUS) for label in labels])


@dataclass(frozen=True)
class TimeTick:
    """One time label: where it sits, the instant (for the browser to show in its zone) and the UTC text
    shown without JavaScript: a clock time, and the date under it where the day changes."""

    at: float
    iso: str
    clock: str
    date: str


def time_step(start: float, end: float, count: int = TIME_TICKS) -> float:
    """The smallest clock-friendly interval that puts at most `count` ticks on [start, end]."""
    for step in TIME_STEPS:
        if (end - start) / step <= count - 1:
            return step
    return TIME_STEPS[-1]


def time_ticks(start: float, end: float, count: int = TIME_TICKS) -> tuple[float, list[float]]:
    """The step and the instants of the ticks on [start, end], on whole multiples of the step (UTC)."""
    step = time_step(start, end, count)
    first = math.ceil(start / step) * step
    return step, [float(t) for t in range(int(first), int(end) + 1, int(step))]


def _utc(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def time_labels(ticks: list[float], step: float, start: float, end: float) -> list[tuple[str, str]]:
    """(clock, date) for each tick, in UTC; the browser applies the same rule in its own zone.

    A day step at midnight shows the date alone. Otherwise the clock, and the date under it when the
    axis crosses midnight and this tick is the first, starts a new day, or shares its clock with another
    tick: no two labels read the same.
    """
    moments = [_utc(t) for t in ticks]
    clocks = [f"{m:%H:%M}" for m in moments]
    dates = [f"{m.day} {m:%b}" for m in moments]
    crosses = _utc(start).date() != _utc(end).date()
    labels = []
    for i, (clock, date) in enumerate(zip(clocks, dates, strict=True)):
        if step >= DAY and clock == "00:00":
            labels.append((date, ""))
            continue
        new_day = i == 0 or dates[i - 1] != date
        shows_date = crosses and (new_day or clocks.count(clock) > 1)
        labels.append((clock, date if shows_date else ""))
    return labels


def iso_utc(moment: float) -> str:
    """`2026-11-26T10:42:05Z`: the instant in a form every browser's Date parses."""
    return _utc(moment).isoformat(timespec="seconds").replace("+00:00", "Z")
