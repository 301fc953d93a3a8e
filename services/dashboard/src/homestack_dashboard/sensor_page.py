"""A sensor page's content: latest reading, range, a chart and statistics per metric."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from homestack_dashboard.bands import Assessment, assess
from homestack_dashboard.charts import CHART_WIDTH, Chart, TimeSpan, chart, fit_span, series
from homestack_dashboard.models import Reading, Snapshot
from homestack_dashboard.present import (
    TIME_UNKNOWN,
    MetricInfo,
    format_age,
    format_utc,
    iso,
    metric_info,
    metric_sort_key,
)
from homestack_dashboard.series import Stats, stats


@dataclass(frozen=True)
class Range:
    """A selectable time range of the chart."""

    key: str
    label: str
    window: timedelta


RANGES = (
    Range("1h", "1 hour", timedelta(hours=1)),
    Range("24h", "24 hours", timedelta(hours=24)),
    Range("7d", "7 days", timedelta(days=7)),
)
DEFAULT_RANGE = RANGES[1]


def pick_range(key: str | None) -> Range:
    """The range named `key`, or the default (24 h) for anything else."""
    return next((r for r in RANGES if r.key == key), DEFAULT_RANGE)


@dataclass(frozen=True)
class Latest:
    """One metric of the latest reading, exactly as reported (full precision) and as read."""

    label: str
    number: str
    unit_suffix: str
    state: Assessment | None


@dataclass(frozen=True)
class Summary:
    """Minimum, maximum and average of one metric over the range, from every reading (not the sample)."""

    info: MetricInfo
    stats: Stats


@dataclass(frozen=True)
class SensorView:
    """Everything a sensor page shows."""

    sensor_id: str
    label: str
    has_name: bool
    ts_iso: str | None  # None: the API does not know when the reading was taken
    ts_text: str
    age_text: str
    stale: bool
    latest: list[Latest]
    raw_json: str
    range: Range
    span: TimeSpan
    charts: list[Chart]
    summaries: list[Summary]
    readings: int
    history_error: str | None


def build_sensor_view(
    snapshot: Snapshot,
    readings: Sequence[Reading] | None,
    *,
    chosen: Range,
    now: datetime,
    stale_after: timedelta,
    history_error: str | None = None,
) -> SensorView:
    """The page for `snapshot` with `readings` of the chosen range (None when they could not be read)."""
    metrics = sorted(
        {*snapshot.values, *(metric for r in readings or () for metric in r.values)}, key=metric_sort_key
    )
    latest = []
    for metric, value in sorted(snapshot.values.items(), key=lambda item: metric_sort_key(item[0])):
        info = metric_info(metric, snapshot.units.get(metric))
        latest.append(Latest(info.label, info.format(value), info.unit_suffix, assess(metric, value)))
    charts: list[Chart] = []
    summaries: list[Summary] = []
    instants = sorted(r.ts.timestamp() for r in readings or ())
    span = fit_span(instants, now.timestamp(), chosen.window.total_seconds(), CHART_WIDTH)
    for metric in metrics:
        info = metric_info(metric, snapshot.units.get(metric))
        points = series(readings or (), metric)
        summary = stats([value for _, value in points])
        if summary is not None:
            summaries.append(Summary(info, summary))
        drawn = chart(points, info, span)
        if drawn is not None:
            charts.append(drawn)
    if snapshot.ts is None:
        ts_iso, ts_text, age_text, stale = None, TIME_UNKNOWN, TIME_UNKNOWN, False
    else:
        age = max(now - snapshot.ts, timedelta(0))
        ts_iso, ts_text, age_text = iso(snapshot.ts), format_utc(snapshot.ts), format_age(age)
        stale = age > stale_after
    return SensorView(
        sensor_id=snapshot.sensor_id,
        label=snapshot.label,
        has_name=bool(snapshot.name),
        ts_iso=ts_iso,
        ts_text=ts_text,
        age_text=age_text,
        stale=stale,
        latest=latest,
        raw_json=json.dumps(snapshot.model_dump(mode="json"), indent=2, ensure_ascii=False),
        range=chosen,
        span=span,
        charts=charts,
        summaries=summaries,
        readings=len(readings or ()),
        history_error=history_error,
    )
