"""The short cache in front of the sensors API: shared loads, expiry, failures kept briefly."""

from __future__ import annotations

import asyncio

import pytest

from homestack_dashboard.cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_concurrent_callers_share_one_load_and_results_expire() -> None:
    clock = Clock()
    cache = TtlCache(2.0, clock=clock)
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.01)
        return loads

    async def scenario() -> list[int]:
        first = await asyncio.gather(*(cache.get("k", load) for _ in range(5)))
        clock.now = 1.9
        cached = await cache.get("k", load)
        clock.now = 4.0
        fresh = await cache.get("k", load)
        return [*first, cached, fresh]

    assert asyncio.run(scenario()) == [1, 1, 1, 1, 1, 1, 2]


def test_failures_are_cached_briefly_then_retried() -> None:
    clock = Clock()
    cache = TtlCache(1.0, clock=clock)
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("down")
        return "up"

    async def scenario() -> str:
        for _ in range(3):
            with pytest.raises(ConnectionError):
                await cache.get("k", flaky)
        clock.now = 1.5
        return str(await cache.get("k", flaky))

    assert asyncio.run(scenario()) == "up"
    assert calls == 2
