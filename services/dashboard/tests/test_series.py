"""Downsampling, statistics, chart geometry and how values read: the pure parts, checked directly."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from homestack_dashboard.present import format_age, metric_info, spark_metric
from homestack_dashboard.series import (
    Frame,
    downsample_runs,
    gap_threshold,
    lttb,
    path,
    split_at_gaps,
    stats,
)


def wave(count: int) -> list[tuple[float, float]]:
    return [(float(i), math.sin(i / 50) * 10 + (25.0 if i == 777 else 0.0)) for i in range(count)]


def test_lttb_returns_the_target_count_and_keeps_ends_and_peaks() -> None:
    points = wave(5000)

    sampled = lttb(points, 300)

    assert len(sampled) == 300
    assert sampled[0] == points[0]
    assert sampled[-1] == points[-1]
    assert points[777] in sampled  # a lone spike survives downsampling
    assert [t for t, _ in sampled] == sorted(t for t, _ in sampled)


@pytest.mark.parametrize(
    ("count", "target", "expected"), [(10, 300, 10), (0, 300, 0), (50, 2, 2), (50, 1, 1)]
)
def test_lttb_small_inputs(count: int, target: int, expected: int) -> None:
    assert len(lttb(wave(count), target)) == expected


def test_stats_of_values() -> None:
    summary = stats([3.0, 1.0, 2.0, 6.0])

    assert summary is not None
    assert (summary.minimum, summary.maximum, summary.mean, summary.count) == (1.0, 6.0, 3.0, 4)
    assert stats([]) is None


def test_path_scales_into_the_frame_and_breaks_at_gaps() -> None:
    points = [(0.0, 0.0), (10.0, 10.0), (20.0, 5.0), (100.0, 5.0), (110.0, 6.0)]
    frame = Frame(100, 50, 0, 110, low=0, high=10)

    runs = split_at_gaps(points, threshold=30)
    d = path(runs, frame)

    assert [len(run) for run in runs] == [3, 2]  # the 80 s silence splits the series
    assert d.count("M") == 2  # and lifts the pen
    coords = [float(n) for n in d.replace("M", " ").replace("L", " ").split()]
    xs, ys = coords[0::2], coords[1::2]
    assert min(xs) == 0.0
    assert max(xs) == 100.0
    assert all(0 <= y <= 50 for y in ys)
    assert ys[1] < ys[0]  # higher values are drawn higher up


def test_a_lone_reading_between_gaps_is_not_a_line() -> None:
    runs = split_at_gaps([(0.0, 1.0), (1.0, 1.0), (500.0, 2.0), (1000.0, 1.0), (1001.0, 1.0)], 100)

    assert [len(run) for run in runs] == [2, 1, 2]
    assert path(runs, Frame(100, 50, 0, 1001, 0, 3)).count("M") == 2


def test_downsampling_keeps_each_run_apart_and_within_the_target() -> None:
    runs = [[(float(t), 1.0) for t in range(start, start + 1000)] for start in (0, 5000)]

    shown = downsample_runs(runs, 100)

    assert [len(run) for run in shown] == [50, 50]
    assert shown[0][-1][0] < 5000 <= shown[1][0][0]


def test_gap_threshold_is_well_past_the_usual_spacing_and_visible() -> None:
    points = [(float(t), 1.0) for t in range(0, 6000, 60)]

    assert gap_threshold(points, 6000, width=500) == 300.0  # five times the 60 s spacing
    assert gap_threshold(points, 86400, width=500) == 86400 / 500 * 4  # narrower would not show


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(seconds=2), "just now"),
        (timedelta(seconds=42), "42 s ago"),
        (timedelta(minutes=5, seconds=59), "5 min ago"),
        (timedelta(hours=3), "3 h ago"),
        (timedelta(days=2, hours=5), "2 d ago"),
    ],
)
def test_age_reads_like_a_person_says_it(age: timedelta, text: str) -> None:
    assert format_age(age) == text


def test_metric_display() -> None:
    assert metric_info("temperature", "C").format_with_unit(21.449) == "21.4 °C"
    assert metric_info("humidity", "%").format_with_unit(45.6) == "46%"
    assert metric_info("co2", "ppm").format_with_unit(1204) == "1,204 ppm"
    assert metric_info("pm25", "ug/m3").format_with_unit(3.25) == "3.2 µg/m³"
    assert metric_info("radon", "Bq/m3").format_with_unit(12.345) == "12.35 Bq/m3"
    assert metric_info("radon").format_with_unit(1) == "1.00"


def test_sparkline_prefers_temperature_then_co2() -> None:
    assert spark_metric({"battery": 1, "co2": 2, "temperature": 3}) == "temperature"
    assert spark_metric({"battery": 1, "co2": 2}) == "co2"
    assert spark_metric({"zeta": 1, "alpha": 2}) == "alpha"
    assert spark_metric({}) is None
