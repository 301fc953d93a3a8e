"""Pure time-series maths: downsampling to what a chart can show, summary statistics, SVG geometry."""

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
    """Where a chart's data lands in SVG units: x from time, y from value, with padding inside."""

    width: float
    height: float
    start: float
    end: float
    low: float
    high: float
    pad: float = 2.0

    @classmethod
    def fit(cls, points: Sequence[Point], width: float, height: float, start: float, end: float) -> Frame:
        """A frame over [start, end] whose value range covers every point, never zero-height."""
        values = [y for _, y in points] or [0.0]
        low, high = min(values), max(values)
        if high - low < 1e-9:
            low, high = low - 1, high + 1
        margin = (high - low) * 0.08
        return cls(width, height, start, max(end, start + 1), low - margin, high + margin)

    def x(self, t: float) -> float:
        return (t - self.start) / (self.end - self.start) * self.width

    def y(self, value: float) -> float:
        usable = self.height - 2 * self.pad
        return self.pad + (self.high - value) / (self.high - self.low) * usable


def path(points: Sequence[Point], frame: Frame, gap: float | None = None) -> str:
    """An SVG path `d` through `points`, lifting the pen across silences longer than `gap` seconds."""
    parts: list[str] = []
    last_t: float | None = None
    for t, value in points:
        command = "M" if last_t is None or (gap is not None and t - last_t > gap) else "L"
        parts.append(f"{command}{frame.x(t):.1f} {frame.y(value):.1f}")
        last_t = t
    return "".join(parts)


def typical_gap(points: Sequence[Point], span: float) -> float:
    """How long a silence must be to break the line: well past the usual spacing of readings."""
    if len(points) < 3:
        return span
    steps = sorted(b[0] - a[0] for a, b in pairwise(points))
    median = steps[len(steps) // 2]
    return max(median * 5, span / 40)


def bucket_ticks(start: float, end: float, count: int) -> list[float]:
    """`count` evenly spaced instants from start to end inclusive (axis labels)."""
    if count < 2:
        return [start]
    return [start + (end - start) * i / (count - 1) for i in range(count)]
