"""Pure time-series maths: downsampling to what a chart can show, gaps, summary statistics, SVG geometry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

Point = tuple[float, float]  # (epoch seconds, value)


def lttb(points: Sequence[Point], target: int) -> list[Point]:
    """Largest-Triangle-Three-Buckets: `target` points that keep the shape (peaks and dips) of `points`.

    Points must be sorted by time. The first and last point are always kept.
    """
    if len(points) <= target:
        return list(points)
    if target < 3:
        return [points[0], points[-1]][: max(target, 0)]
    sampled = [points[0]]
    every = (len(points) - 2) / (target - 2)
    previous = 0
    for bucket in range(target - 2):
        start = int(bucket * every) + 1
        end = int((bucket + 1) * every) + 1
        next_end = min(int((bucket + 2) * every) + 1, len(points))
        following = points[end:next_end] or [points[-1]]
        avg_x = sum(p[0] for p in following) / len(following)
        avg_y = sum(p[1] for p in following) / len(following)
        ax, ay = points[previous]
        best, best_area = start, -1.0
        for index in range(start, end):
            x, y = points[index]
            area = abs((ax - avg_x) * (y - ay) - (ax - x) * (avg_y - ay))
            if area > best_area:
                best, best_area = index, area
        sampled.append(points[best])
        previous = best
    sampled.append(points[-1])
    return sampled


@dataclass(frozen=True)
class Stats:
    """Minimum, maximum and mean of a series, and how many points it had."""

    minimum: float
    maximum: float
    mean: float
    count: int


def stats(values: Sequence[float]) -> Stats | None:
    """Summary of `values` (None when there are none): computed on the full data, never the sample."""
    if not values:
        return None
    return Stats(min(values), max(values), sum(values) / len(values), len(values))


@dataclass(frozen=True)
class Frame:
    """Where a chart's data lands in SVG units: x from time over [start, end], y from value over
    [low, high] (the axis's domain), with `pad` units kept free above and below."""

    width: float
    height: float
    start: float
    end: float
    low: float
    high: float
    pad: float = 2.0

    def x(self, t: float) -> float:
        return (t - self.start) / max(self.end - self.start, 1e-9) * self.width

    def y(self, value: float) -> float:
        usable = self.height - 2 * self.pad
        return self.pad + (self.high - value) / max(self.high - self.low, 1e-12) * usable


def gap_threshold(points: Sequence[Point], span: float, width: float) -> float:
    """How long a silence must be to show as a gap: well past the usual spacing of readings, and at
    least a few units wide (a narrower one could not be seen)."""
    visible = span / max(width, 1.0) * 4
    if len(points) < 3:
        return max(span, visible)
    steps = sorted(b[0] - a[0] for a, b in pairwise(points))
    return max(steps[len(steps) // 2] * 5, visible)


def split_at_gaps(points: Sequence[Point], threshold: float) -> list[list[Point]]:
    """The runs of `points` between silences longer than `threshold` seconds."""
    runs: list[list[Point]] = []
    for point in points:
        if runs and point[0] - runs[-1][-1][0] <= threshold:
            runs[-1].append(point)
        else:
            runs.append([point])
    return runs


def downsample_runs(runs: Sequence[Sequence[Point]], target: int) -> list[list[Point]]:
    """Each run downsampled with LTTB, `target` points shared out by how many each run has.

    Downsampling runs apart (not the whole series) keeps a gap a gap: LTTB picks one point per bucket,
    and two picks may lie further apart than the silence that defines a gap.
    """
    total = sum(len(run) for run in runs)
    if total <= target:
        return [list(run) for run in runs]
    return [lttb(run, max(min(len(run), 2), int(target * len(run) / total))) for run in runs]


def path(runs: Sequence[Sequence[Point]], frame: Frame) -> str:
    """An SVG path `d` through every run of two or more points, the pen lifted between runs."""
    parts: list[str] = []
    for run in runs:
        if len(run) < 2:
            continue  # a lone reading is drawn as a dot
        for index, (t, value) in enumerate(run):
            parts.append(f"{'L' if index else 'M'}{frame.x(t):.1f} {frame.y(value):.1f}")
    return "".join(parts)
