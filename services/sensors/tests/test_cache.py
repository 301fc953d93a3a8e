"""TtlCache on its own: expiry by the clock, bounded size, failures not cached and shared by waiters."""

from __future__ import annotations

import asyncio

from homestack_sensors.cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_values_expire_after_the_ttl() -> None:
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(2.0, clock=clock)
    loads: list[int] = []

    async def load() -> int:
        loads.append(1)
        return len(loads)

    async def scenario() -> list[int]:
        first = await cache.get("a", load)
        clock.now = 0.9
        second = await cache.get("a", load)
        clock.now = 2.0
        third = await cache.get("a", load)
        return [first, second, third]

    assert asyncio.run(scenario()) == [1, 1, 2]


def test_a_hit_late_in_an_entrys_life_refreshes_it_in_the_background() -> None:
    clock = Clock()
    cache: TtlCache[str, str] = TtlCache(2.0, clock=clock)
    versions = iter(["v1", "v2", "v3"])
    loads: list[float] = []

    async def load() -> str:
        loads.append(clock.now)
        return next(versions)

    async def scenario() -> list[str]:
        answers = [await cache.get("a", load)]
        clock.now = 1.5
        answers.append(await cache.get("a", load))  # answered from the cache, refresh started
        await asyncio.sleep(0)  # let the background refresh run
        clock.now = 1.6
        answers.append(await cache.get("a", load))
        return answers

    assert asyncio.run(scenario()) == ["v1", "v1", "v2"]
    assert loads == [0.0, 1.5]


def test_the_cache_never_holds_more_than_max_entries() -> None:
    cache: TtlCache[int, int] = TtlCache(60.0, max_entries=3)

    async def zero() -> int:
        return 0

    async def fill() -> None:
        for key in range(10):
            await cache.get(key, zero)

    asyncio.run(fill())
    assert len(cache) == 3


def test_a_failed_load_reaches_every_waiter_and_is_not_cached() -> None:
    cache: TtlCache[str, int] = TtlCache(60.0)
    calls: list[int] = []

    async def failing() -> int:
        calls.append(1)
        await asyncio.sleep(0.01)
        raise RuntimeError("dynamodb down")

    async def scenario() -> list[BaseException | int]:
        return await asyncio.gather(*(cache.get("a", failing) for _ in range(5)), return_exceptions=True)

    results = asyncio.run(scenario())
    assert len(calls) == 1
    assert all(isinstance(r, RuntimeError) for r in results)
    assert len(cache) == 0

    async def working() -> int:
        return 7

    async def retry() -> int:
        return await cache.get("a", working)

    assert asyncio.run(retry()) == 7
