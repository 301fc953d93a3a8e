"""Chart and sparkline geometry for server-rendered inline SVG (no chart library, works without JS)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from homestack_dashboard.models import Reading
from homestack_dashboard.present import MetricInfo
from homestack_dashboard.series import Frame, Point, Stats, bucket_ticks, lttb, path, stats, typical_gap

SPARK_WIDTH, SPARK_HEIGHT, SPARK_POINTS = 110.0, 30.0, 55
CHART_WIDTH, CHART_HEIGHT = 560.0, 220.0
# Room for the value labels on the left and the time labels below the plot.
PLOT_LEFT, PLOT_TOP, PLOT_BOTTOM, PLOT_RIGHT = 52.0, 10.0, 26.0, 10.0
# About one point per two horizontal SVG units: more would not be visible, fewer would lose shape.
CHART_POINTS = 250


def series(readings: Sequence[Reading], metric: str) -> list[Point]:
    """(epoch seconds, value) of every reading that has `metric`, in time order."""
    return [(r.ts.timestamp(), r.values[metric]) for r in readings if metric in r.values]


@dataclass(frozen=True)
class Sparkline:
    """A tiny line of one metric over the last hours, with a dot on the latest value."""

    d: str
    end_x: float
    end_y: float
    description: str
    width: float = SPARK_WIDTH
    height: float = SPARK_HEIGHT


def sparkline(
    points: Sequence[Point], info: MetricInfo, start: float, end: float, hours: int
) -> Sparkline | None:
    """The sparkline of `points` over [start, end], or None with fewer than two points."""
    if len(points) < 2:
        return None
    shown = lttb(points, SPARK_POINTS)
    frame = Frame.fit(shown, SPARK_WIDTH, SPARK_HEIGHT, start, end)
    summary = stats([value for _, value in points])
    assert summary is not None
    description = (
        f"{info.label} over the last {hours} h: from {info.format_with_unit(summary.minimum)} "
        f"to {info.format_with_unit(summary.maximum)}, now {info.format_with_unit(points[-1][1])}"
    )
    last_t, last_value = shown[-1]
    return Sparkline(
        d=path(shown, frame, typical_gap(points, end - start)),
        end_x=round(frame.x(last_t), 1),
        end_y=round(frame.y(last_value), 1),
        description=description,
    )


@dataclass(frozen=True)
class Tick:
    """One axis label and where it sits."""

    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    """A full chart of one metric over the selected range, plus the statistics of the raw data."""

    info: MetricInfo
    line: str
    area: str
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    stats: Stats
    shown: int
    description: str
    width: float = CHART_WIDTH
    height: float = CHART_HEIGHT
    left: float = PLOT_LEFT
    top: float = PLOT_TOP
    plot_width: float = CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_height: float = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM


def _area(segments_d: str, frame: Frame) -> str:
    """Close every pen-down run of the line down to the baseline, for a soft fill under it."""
    runs = [run for run in segments_d.split("M") if run]
    closed = []
    for run in runs:
        coords = run.replace("L", " ").split()
        first_x, last_x = coords[0], coords[-2]
        closed.append(f"M{first_x} {frame.height:.1f}L{run}L{last_x} {frame.height:.1f}Z")
    return "".join(closed)


def _time_label(moment: float, span: float) -> str:
    when = datetime.fromtimestamp(moment, UTC)
    return when.strftime("%d %b %H:%M") if span > 2 * 86400 else when.strftime("%H:%M")


def chart(points: Sequence[Point], info: MetricInfo, start: float, end: float) -> Chart | None:
    """The chart of `points` over [start, end], downsampled to CHART_POINTS; None under two points."""
    summary = stats([value for _, value in points])
    if summary is None or len(points) < 2:
        return None  # one reading is a number, not a line: the statistics table still shows it
    shown = lttb(points, CHART_POINTS)
    plot_width = CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_height = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    frame = Frame.fit(shown, plot_width, plot_height, start, end)
    line = path(shown, frame, typical_gap(points, end - start))
    levels = [summary.maximum, (summary.maximum + summary.minimum) / 2, summary.minimum]
    y_ticks = [Tick(round(frame.y(v), 1), info.format(v)) for v in dict.fromkeys(levels)]
    x_ticks = [Tick(round(frame.x(t), 1), _time_label(t, end - start)) for t in bucket_ticks(start, end, 5)]
    description = (
        f"{info.label}: {len(points)} readings, shown as {len(shown)} points; "
        f"min {info.format_with_unit(summary.minimum)}, max {info.format_with_unit(summary.maximum)}, "
        f"average {info.format_with_unit(summary.mean)}"
    )
    return Chart(info, line, _area(line, frame), y_ticks, x_ticks, summary, len(shown), description)
