"""The overview's content: one row per sensor, sorted and filtered the same way the browser does it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from homestack_dashboard.bands import Assessment, assess, most_out_of_band
from homestack_dashboard.charts import SPARK_WIDTH, Sparkline, fit_span, series, sparkline
from homestack_dashboard.health import Health, SensorState, home_health
from homestack_dashboard.models import Reading, Snapshot, with_latest
from homestack_dashboard.present import (
    TIME_UNKNOWN,
    MetricInfo,
    format_age,
    format_utc,
    iso,
    metric_info,
    metric_sort_key,
)
from homestack_dashboard.present import spark_metric as preferred_metric

SORT_KEYS = ("name", "status", "age")


@dataclass(frozen=True)
class Cell:
    """One metric of one sensor: the text shown, the number sorted on (empty when absent), its state."""

    text: str
    sort: str
    state: Assessment | None = None


@dataclass(frozen=True)
class Row:
    """One sensor in the overview table."""

    sensor_id: str
    label: str
    href: str
    ts_iso: str | None  # None: the API does not know when the reading was taken
    ts_text: str
    age_text: str
    age_seconds: int | None
    stale: bool
    cells: list[Cell]
    spark: Sparkline | None

    @property
    def status(self) -> str:
        """`live`, `stale`, or `unknown` when the reading has no time."""
        return "unknown" if self.ts_iso is None else "stale" if self.stale else "live"


@dataclass(frozen=True)
class Overview:
    """Everything the overview page shows."""

    rows: list[Row]
    columns: list[MetricInfo]
    total: int
    stale: int
    health: Health
    sort: str
    order: str
    query: str

    @property
    def shown(self) -> int:
        return len(self.rows)


def sensor_href(sensor_id: str) -> str:
    """The dashboard path of a sensor page; every character of the id is URL-encoded."""
    return "/sensors/" + quote(sensor_id, safe="")


def _columns(snapshots: Sequence[Snapshot]) -> list[MetricInfo]:
    units: dict[str, str | None] = {}
    for snapshot in snapshots:
        for metric in snapshot.values:
            units.setdefault(metric, snapshot.units.get(metric))
    return [metric_info(metric, units[metric]) for metric in sorted(units, key=metric_sort_key)]


def spark_metric(values: dict[str, float]) -> str | None:
    """What a row's sparkline draws: the metric furthest out of its comfort band, else temperature (or
    the first metric the sensor reports)."""
    worst = most_out_of_band(values)
    return worst.metric if worst else preferred_metric(values)


def _spark(
    snapshot: Snapshot, history: Sequence[Reading] | None, now: datetime, spark_hours: int
) -> Sparkline | None:
    chosen = spark_metric(snapshot.values)
    if history is None or not chosen:
        return None
    since = now - timedelta(hours=spark_hours)
    points = series(with_latest(list(history), snapshot, since), chosen)
    span = fit_span([t for t, _ in points], now.timestamp(), spark_hours * 3600, SPARK_WIDTH)
    return sparkline(points, metric_info(chosen, snapshot.units.get(chosen)), span)


def _row(
    snapshot: Snapshot,
    columns: Sequence[MetricInfo],
    history: Sequence[Reading] | None,
    now: datetime,
    stale_after: timedelta,
    spark_hours: int,
) -> Row:
    cells = []
    for column in columns:
        value = snapshot.values.get(column.key)
        info = metric_info(column.key, snapshot.units.get(column.key))
        if value is None:
            cells.append(Cell("—", ""))
        else:
            cells.append(Cell(info.format_with_unit(value), repr(value), assess(column.key, value)))
    if snapshot.ts is None:
        ts_iso, ts_text, age_text, age_seconds, stale = None, TIME_UNKNOWN, TIME_UNKNOWN, None, False
    else:
        age = max(now - snapshot.ts, timedelta(0))
        ts_iso, ts_text, age_text = iso(snapshot.ts), format_utc(snapshot.ts), format_age(age)
        age_seconds, stale = int(age.total_seconds()), age > stale_after
    return Row(
        sensor_id=snapshot.sensor_id,
        label=snapshot.label,
        href=sensor_href(snapshot.sensor_id),
        ts_iso=ts_iso,
        ts_text=ts_text,
        age_text=age_text,
        age_seconds=age_seconds,
        stale=stale,
        cells=cells,
        spark=_spark(snapshot, history, now, spark_hours),
    )


def _sort_value(row: Row, key: str, columns: Sequence[MetricInfo]) -> tuple[int, float | str]:
    if key == "status":
        return (0, ("live", "stale", "unknown").index(row.status))
    if key == "age":
        # A reading of unknown time sorts last in either direction.
        return (1, 0.0) if row.age_seconds is None else (0, float(row.age_seconds))
    for index, column in enumerate(columns):
        if column.key == key:
            raw = row.cells[index].sort
            # A sensor without this metric sorts last in either direction.
            return (1, 0.0) if not raw else (0, float(raw))
    return (0, row.label.casefold())


def _health(rows: Sequence[Row]) -> Health:
    return home_health(
        [
            SensorState(
                current=row.status == "live",
                silent=row.stale,
                assessments=[cell.state for cell in row.cells if cell.state is not None],
            )
            for row in rows
        ]
    )


def build_overview(
    snapshots: Sequence[Snapshot],
    histories: Mapping[str, Sequence[Reading] | None],
    *,
    now: datetime,
    stale_after: timedelta,
    spark_hours: int,
    sort: str = "name",
    order: str = "asc",
    query: str = "",
) -> Overview:
    """The overview of `snapshots`, sorted by `sort` (a column key) and filtered by `query`."""
    columns = _columns(snapshots)
    sort = sort if sort in SORT_KEYS or any(c.key == sort for c in columns) else "name"
    order = "desc" if order == "desc" else "asc"
    rows = [
        _row(s, columns, histories.get(s.sensor_id), now, stale_after, spark_hours)
        for s in sorted(snapshots, key=lambda s: (s.label.casefold(), s.sensor_id))
    ]
    total, stale, health = len(rows), sum(row.stale for row in rows), _health(rows)
    needle = query.strip().casefold()
    if needle:
        rows = [row for row in rows if needle in f"{row.label} {row.sensor_id}".casefold()]
    present = [row for row in rows if _sort_value(row, sort, columns)[0] == 0]
    absent = [row for row in rows if _sort_value(row, sort, columns)[0] == 1]
    present.sort(key=lambda row: _sort_value(row, sort, columns)[1], reverse=order == "desc")
    return Overview(present + absent, columns, total, stale, health, sort, order, query.strip())
