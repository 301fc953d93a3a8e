"""The overview's content: one row per sensor, sorted and filtered the same way the browser does it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from homestack_dashboard.charts import Sparkline, series, sparkline
from homestack_dashboard.models import Reading, Snapshot, with_latest
from homestack_dashboard.present import MetricInfo, format_age, format_utc, iso, metric_info, metric_sort_key
from homestack_dashboard.present import spark_metric as pick_spark_metric

SORT_KEYS = ("name", "status", "age")


@dataclass(frozen=True)
class Cell:
    """One metric of one sensor: the text shown and the number sorted on (empty when absent)."""

    text: str
    sort: str


@dataclass(frozen=True)
class Row:
    """One sensor in the overview table."""

    sensor_id: str
    label: str
    href: str
    ts_iso: str
    ts_text: str
    age_text: str
    age_seconds: int
    stale: bool
    cells: list[Cell]
    spark: Sparkline | None


@dataclass(frozen=True)
class Overview:
    """Everything the overview page shows."""

    rows: list[Row]
    columns: list[MetricInfo]
    total: int
    stale: int
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


def _row(
    snapshot: Snapshot,
    columns: Sequence[MetricInfo],
    history: Sequence[Reading] | None,
    now: datetime,
    stale_after: timedelta,
    spark_hours: int,
) -> Row:
    age = max(now - snapshot.ts, timedelta(0))
    cells = []
    for column in columns:
        value = snapshot.values.get(column.key)
        info = metric_info(column.key, snapshot.units.get(column.key))
        cells.append(Cell("—", "") if value is None else Cell(info.format_with_unit(value), repr(value)))
    spark = None
    chosen = pick_spark_metric(snapshot.values)
    if history is not None and chosen:
        since = now - timedelta(hours=spark_hours)
        start = since.timestamp()
        spark = sparkline(
            series(with_latest(list(history), snapshot, since), chosen),
            metric_info(chosen, snapshot.units.get(chosen)),
            start,
            now.timestamp(),
            spark_hours,
        )
    return Row(
        sensor_id=snapshot.sensor_id,
        label=snapshot.label,
        href=sensor_href(snapshot.sensor_id),
        ts_iso=iso(snapshot.ts),
        ts_text=format_utc(snapshot.ts),
        age_text=format_age(age),
        age_seconds=int(age.total_seconds()),
        stale=age > stale_after,
        cells=cells,
        spark=spark,
    )


def _sort_value(row: Row, key: str, columns: Sequence[MetricInfo]) -> tuple[int, float | str]:
    if key == "status":
        return (0, float(row.stale))
    if key == "age":
        return (0, float(row.age_seconds))
    for index, column in enumerate(columns):
        if column.key == key:
            raw = row.cells[index].sort
            # A sensor without this metric sorts last in either direction.
            return (1, 0.0) if not raw else (0, float(raw))
    return (0, row.label.casefold())


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
    total, stale = len(rows), sum(row.stale for row in rows)
    needle = query.strip().casefold()
    if needle:
        rows = [row for row in rows if needle in f"{row.label} {row.sensor_id}".casefold()]
    present = [row for row in rows if _sort_value(row, sort, columns)[0] == 0]
    absent = [row for row in rows if _sort_value(row, sort, columns)[0] == 1]
    present.sort(key=lambda row: _sort_value(row, sort, columns)[1], reverse=order == "desc")
    return Overview(present + absent, columns, total, stale, sort, order, query.strip())
