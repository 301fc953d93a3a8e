"""Chart and sparkline geometry for server-rendered inline SVG (no chart library, works without JS)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from homestack_dashboard.bands import limits_of
from homestack_dashboard.models import Reading
from homestack_dashboard.present import MetricInfo, format_span
from homestack_dashboard.series import (
    Frame,
    Point,
    Stats,
    downsample_runs,
    gap_threshold,
    path,
    split_at_gaps,
    stats,
)
from homestack_dashboard.ticks import iso_utc, time_labels, time_ticks, value_axis

SPARK_WIDTH, SPARK_HEIGHT, SPARK_POINTS = 110.0, 30.0, 55
CHART_WIDTH, CHART_HEIGHT = 560.0, 240.0
# Room for two lines of time labels below the plot; the left margin follows the longest value label.
PLOT_TOP, PLOT_BOTTOM, PLOT_RIGHT = 12.0, 46.0, 14.0
# SVG units per character of a value label at the largest font the stylesheet gives axis text.
LABEL_CHAR_WIDTH = 12.5
# About one point per two horizontal SVG units: more would not be visible, fewer would lose shape.
CHART_POINTS = 250
# Less history than this share of the chosen window and the x axis is fitted to the data instead.
FIT_BELOW = 0.9
EN_DASH = "\u2013"  # between the ends of a range, as typesetters write 612-1,320


def series(readings: Sequence[Reading], metric: str) -> list[Point]:
    """(epoch seconds, value) of every reading that has `metric`, in time order."""
    return [(r.ts.timestamp(), r.values[metric]) for r in readings if metric in r.values]


@dataclass(frozen=True)
class TimeSpan:
    """The x range of a chart: the chosen window, or less when the data covers only part of it."""

    start: float
    end: float
    fitted: bool
    covered: str  # `10 min`: how much the axis shows
    window: str  # `24 h`: the window chosen

    @property
    def label(self) -> str:
        """`last 24 h`, or `last 10 min of 24 h` when fitted to the data."""
        return f"last {self.covered} of {self.window}" if self.fitted else f"last {self.window}"

    @property
    def start_iso(self) -> str:
        return iso_utc(self.start)

    @property
    def end_iso(self) -> str:
        return iso_utc(self.end)


def fit_span(instants: Sequence[float], end: float, window: float, width: float) -> TimeSpan:
    """The window ending at `end`, or from the first reading on when the readings (sorted `instants`)
    cover under 90 % of it and began longer ago than a usual silence: a sensor that reports every
    10 minutes has not just started because its first reading of the last hour is 50 minutes old."""
    if len(instants) >= 3:
        usual = gap_threshold([(t, 0.0) for t in instants], window, width)
    else:
        usual = 5 * (instants[-1] - instants[0]) if instants else 0.0
    if instants and 0 < end - instants[0] < window * FIT_BELOW and instants[0] - (end - window) > usual:
        first = instants[0]
        return TimeSpan(first, end, True, format_span(end - first), format_span(window))
    return TimeSpan(end - window, end, False, format_span(window), format_span(window))


@dataclass(frozen=True)
class Sparkline:
    """A tiny line of one metric over the last hours, a dot on the latest value, and what it shows."""

    d: str
    end_x: float
    end_y: float
    metric: str
    span: str  # `last 6 h`, or `last 40 min` while the sensor has less history than that
    range_text: str  # `612 to 1,320 ppm` as `612`, en dash, `1,320 ppm`: lowest to highest value drawn
    description: str
    width: float = SPARK_WIDTH
    height: float = SPARK_HEIGHT


def _value_range(info: MetricInfo, low: float, high: float) -> str:
    if info.format(low) == info.format(high):
        return info.format_with_unit(low)
    return f"{info.format(low)}{EN_DASH}{info.format_with_unit(high)}"


def sparkline(points: Sequence[Point], info: MetricInfo, span: TimeSpan) -> Sparkline | None:
    """The sparkline of `points` over `span`, or None with fewer than two points."""
    summary = stats([value for _, value in points])
    if summary is None or len(points) < 2:
        return None
    axis = value_axis(summary.minimum, summary.maximum, info.min_span, count=2)
    frame = Frame(SPARK_WIDTH, SPARK_HEIGHT, span.start, span.end, axis.low, axis.high)
    runs = split_at_gaps(points, gap_threshold(points, span.end - span.start, SPARK_WIDTH))
    shown = downsample_runs(runs, SPARK_POINTS)
    range_text = _value_range(info, summary.minimum, summary.maximum)
    description = (
        f"{info.label} over the {span.label}: from {info.format_with_unit(summary.minimum)} "
        f"to {info.format_with_unit(summary.maximum)}, now {info.format_with_unit(points[-1][1])}"
    )
    last_t, last_value = points[-1]
    return Sparkline(
        d=path(shown, frame),
        end_x=round(frame.x(last_t), 1),
        end_y=round(frame.y(last_value), 1),
        metric=info.label,
        span=f"last {span.covered}",
        range_text=range_text,
        description=description,
    )


@dataclass(frozen=True)
class Tick:
    """One value label and where it sits."""

    at: float
    label: str


@dataclass(frozen=True)
class XTick:
    """One time label: where it sits, its instant, and its UTC text (clock, and date where it changes)."""

    at: float
    iso: str
    clock: str
    date: str


@dataclass(frozen=True)
class Band:
    """A stretch of the plot: a gap with no readings, drawn so missing data is seen as missing."""

    x: float
    width: float


@dataclass(frozen=True)
class Rule:
    """A comfort limit inside the plotted range, drawn as a dashed line with its meaning."""

    y: float
    label: str
    state: str


@dataclass(frozen=True)
class Chart:
    """A full chart of one metric over a time span, plus the statistics of the raw data."""

    info: MetricInfo
    line: str
    area: str
    dots: list[tuple[float, float]]
    gaps: list[Band]
    rules: list[Rule]
    y_ticks: list[Tick]
    x_ticks: list[XTick]
    x_step: float
    span: TimeSpan
    stats: Stats
    shown: int
    description: str
    left: float
    width: float = CHART_WIDTH
    height: float = CHART_HEIGHT
    top: float = PLOT_TOP

    @property
    def plot_width(self) -> float:
        return self.width - self.left - PLOT_RIGHT

    @property
    def plot_height(self) -> float:
        return self.height - PLOT_TOP - PLOT_BOTTOM


def _area(runs: Sequence[Sequence[Point]], frame: Frame) -> str:
    """Every run of the line closed down to the bottom of the plot, for a soft fill under it."""
    closed = []
    for run in runs:
        if len(run) < 2:
            continue
        line = path([run], frame)
        first_x, last_x = frame.x(run[0][0]), frame.x(run[-1][0])
        closed.append(f"M{first_x:.1f} {frame.height:.1f}L{line[1:]}L{last_x:.1f} {frame.height:.1f}Z")
    return "".join(closed)


def _gaps(runs: Sequence[Sequence[Point]], frame: Frame, threshold: float) -> list[Band]:
    """The silences: between runs, before the first reading and after the last one."""
    edges = [frame.start] + [t for run in runs for t in (run[0][0], run[-1][0])] + [frame.end]
    found = []
    for gap_start, gap_end in zip(edges[0::2], edges[1::2], strict=True):
        if gap_end - gap_start > threshold:
            x = frame.x(gap_start)
            found.append(Band(round(x, 1), round(frame.x(gap_end) - x, 1)))
    return found


def chart(points: Sequence[Point], info: MetricInfo, span: TimeSpan) -> Chart | None:
    """The chart of `points` over `span`, downsampled to CHART_POINTS; None under two points."""
    summary = stats([value for _, value in points])
    if summary is None or len(points) < 2:
        return None  # one reading is a number, not a line: the statistics table still shows it
    axis = value_axis(summary.minimum, summary.maximum, info.min_span)
    left = min(14 + LABEL_CHAR_WIDTH * max(len(label) for label in axis.labels), CHART_WIDTH / 3)
    plot_width, plot_height = CHART_WIDTH - left - PLOT_RIGHT, CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    frame = Frame(plot_width, plot_height, span.start, span.end, axis.low, axis.high)
    threshold = gap_threshold(points, span.end - span.start, plot_width)
    runs = split_at_gaps(points, threshold)
    shown = downsample_runs(runs, CHART_POINTS)
    step, instants = time_ticks(span.start, span.end)
    labels = time_labels(instants, step, span.start, span.end)
    x_ticks = [
        XTick(round(frame.x(t), 1), iso_utc(t), clock, date)
        for t, (clock, date) in zip(instants, labels, strict=True)
    ]
    y_ticks = [Tick(round(frame.y(v), 1), label) for v, label in zip(axis.ticks, axis.labels, strict=True)]
    rules = [
        Rule(
            round(frame.y(limit.value), 1),
            f"{side} {info.format_with_unit(limit.value)}: {limit.text}",
            limit.state.css,
        )
        for side, limit in limits_of(info.key)
        if axis.low < limit.value < axis.high
    ]
    gaps = _gaps(shown, frame, threshold)
    drawn = sum(len(run) for run in shown)
    description = (
        f"{info.label}, {span.label}: {len(points)} readings, shown as {drawn} points; "
        f"min {info.format_with_unit(summary.minimum)}, max {info.format_with_unit(summary.maximum)}, "
        f"average {info.format_with_unit(summary.mean)}"
        + (f"; {len(gaps)} stretch{'es' if len(gaps) > 1 else ''} without readings" if gaps else "")
    )
    return Chart(
        info=info,
        line=path(shown, frame),
        area=_area(shown, frame),
        dots=[(round(frame.x(run[0][0]), 1), round(frame.y(run[0][1]), 1)) for run in shown if len(run) == 1],
        gaps=gaps,
        rules=rules,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        x_step=step,
        span=span,
        stats=summary,
        shown=drawn,
        description=description,
        left=left,
    )
