"""Fargate task sizes: which cpu units exist and which memory sizes fit each (pure)."""

from __future__ import annotations

from itertools import pairwise


def _steps(low: int, high: int, step: int) -> tuple[int, ...]:
    return tuple(range(low, high + 1, step))


# The Fargate task-size table: cpu units -> memory MiB ("Task CPU and memory",
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size).
FARGATE: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _steps(1024, 4096, 1024),
    1024: _steps(2048, 8192, 1024),
    2048: _steps(4096, 16384, 1024),
    4096: _steps(8192, 30720, 1024),
    8192: _steps(16384, 61440, 4096),
    16384: _steps(32768, 122880, 8192),
}


def _choices(values: tuple[int, ...]) -> str:
    steps = {b - a for a, b in pairwise(values)}
    if len(values) > 7 and len(steps) == 1:
        return f"{values[0]} to {values[-1]} in steps of {values[1] - values[0]}"
    return ", ".join(str(v) for v in values[:-1]) + f" or {values[-1]}"


def check_size(cpu: int, memory: int) -> list[str]:
    """Problems with a cpu/memory pair, each as `field: why` (empty when the pair is valid)."""
    if cpu not in FARGATE:
        return [f"cpu: {cpu} is not a Fargate size; use {_choices(tuple(FARGATE))}"]
    if memory not in FARGATE[cpu]:
        return [f"memory: {memory} does not fit cpu {cpu}; use {_choices(FARGATE[cpu])}"]
    return []
