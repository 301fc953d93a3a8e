"""How numbers, units, times and ages read to a person; pure, so the pages and the tests agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Canonical order: the columns of the overview and the charts of a sensor page follow it.
METRIC_ORDER = ("temperature", "humidity", "co2", "pressure", "pm25", "voc", "illuminance", "battery")
# Which metric a sensor's sparkline shows: the first of these it reports.
SPARK_PREFERENCE = ("temperature", "co2", "humidity", "pm25", "voc", "pressure", "illuminance", "battery")


@dataclass(frozen=True)
class MetricInfo:
    """A metric as shown: its label, its unit, how many decimals are meaningful, and the smallest value
    span a chart's axis covers (so a sensor's noise is not drawn as a cliff)."""

    key: str
    label: str
    unit: str
    decimals: int
    min_span: float = 1.0

    def format(self, value: float) -> str:
        """The value alone, e.g. `21.4` or `1,204`."""
        return f"{value:,.{self.decimals}f}"

    @property
    def unit_suffix(self) -> str:
        """What follows a number: ` °C`, ` ppm`; percent sticks to the number as people write it."""
        if not self.unit:
            return ""
        return self.unit if self.unit == "%" else f" {self.unit}"

    def format_with_unit(self, value: float) -> str:
        """The value and its unit, e.g. `21.4 °C` or `45%`."""
        return self.format(value) + self.unit_suffix


# label, unit, decimals, smallest axis span: about what a household notices (1 degree, 5 points of
# humidity), well above what a sensor's noise moves.
_KNOWN = {
    "temperature": ("Temperature", "°C", 1, 1.0),
    "humidity": ("Humidity", "%", 0, 5.0),
    "co2": ("CO₂", "ppm", 0, 50.0),
    "pressure": ("Pressure", "hPa", 0, 2.0),
    "pm25": ("PM2.5", "µg/m³", 1, 5.0),
    "voc": ("VOC", "ppb", 0, 50.0),
    "illuminance": ("Light", "lx", 0, 50.0),
    "battery": ("Battery", "%", 0, 5.0),
}
_UNIT_DISPLAY = {"C": "°C", "degC": "°C", "ug/m3": "µg/m³"}


def metric_info(metric: str, unit: str | None = None) -> MetricInfo:
    """Display details of `metric`; the API's unit wins for metrics this dashboard does not know."""
    if metric in _KNOWN:
        label, known_unit, decimals, min_span = _KNOWN[metric]
        shown = _UNIT_DISPLAY.get(unit, unit) if unit else known_unit
        return MetricInfo(metric, label, shown or known_unit, decimals, min_span)
    return MetricInfo(metric, metric, _UNIT_DISPLAY.get(unit or "", unit or ""), 2, 0.1)


def metric_sort_key(metric: str) -> tuple[int, str]:
    """Known metrics in canonical order, then any others alphabetically."""
    return (METRIC_ORDER.index(metric), "") if metric in METRIC_ORDER else (len(METRIC_ORDER), metric)


def spark_metric(values: dict[str, float]) -> str | None:
    """The metric a sensor's sparkline shows, or None if it reports nothing."""
    for metric in SPARK_PREFERENCE:
        if metric in values:
            return metric
    return min(values, key=metric_sort_key, default=None)


# What a snapshot without a time (read from a household's older table) shows for its time and age.
TIME_UNKNOWN = "time unknown"


def format_age(age: timedelta) -> str:
    """How long ago, the way a person says it: `just now`, `42 s ago`, `5 min ago`, `3 h ago`, `2 d ago`."""
    seconds = int(age.total_seconds())
    if seconds < 5:
        return "just now"
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def format_span(seconds: float) -> str:
    """A stretch of time, rounded to its largest unit: `10 min`, `6 h`, `7 d`."""
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    if seconds < 2 * 86400:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} d"


def format_utc(value: datetime, *, with_date: bool = True) -> str:
    """A UTC time for people: `6 Nov 10:42:05 UTC` (the browser rewrites it in its own zone)."""
    utc = value.astimezone(UTC)
    clock = f"{utc:%H:%M:%S} UTC"
    return f"{utc.day} {utc:%b} {clock}" if with_date else clock


def iso(value: datetime) -> str:
    """Machine-readable form for `<time datetime=...>`."""
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")
