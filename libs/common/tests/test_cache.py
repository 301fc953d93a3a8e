"""TtlCache: shared loads, expiry by the clock, bounded size, kept or fresh failures, one-key refresh."""

from __future__ import annotations

import asyncio

import pytest

from homestack_common import TtlCache


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


def test_concurrent_callers_share_one_load() -> None:
    cache: TtlCache[str, int] = TtlCache(2.0, refresh_ahead=False)
    loads: list[int] = []

    async def load() -> int:
        loads.append(1)
        await asyncio.sleep(0.01)
        return len(loads)

    async def scenario() -> list[int]:
        return await asyncio.gather(*(cache.get("k", load) for _ in range(5)))

    assert asyncio.run(scenario()) == [1, 1, 1, 1, 1]
    assert len(loads) == 1


def test_a_caller_that_gives_up_does_not_cancel_the_load_others_wait_for() -> None:
    cache: TtlCache[str, str] = TtlCache(2.0)

    async def load() -> str:
        await asyncio.sleep(0.05)
        return "done"

    async def scenario() -> str:
        impatient = asyncio.ensure_future(cache.get("k", load))
        patient = asyncio.ensure_future(cache.get("k", load))
        await asyncio.sleep(0.01)
        impatient.cancel()
        return await patient

    assert asyncio.run(scenario()) == "done"


def test_without_refresh_ahead_a_value_is_reloaded_only_once_it_expired() -> None:
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(2.0, clock=clock, refresh_ahead=False)
    loads: list[float] = []

    async def load() -> int:
        loads.append(clock.now)
        return len(loads)

    async def scenario() -> list[int]:
        answers = [await cache.get("k", load)]
        for at in (1.5, 1.9, 2.0):
            clock.now = at
            answers.append(await cache.get("k", load))
            await asyncio.sleep(0)
        return answers

    assert asyncio.run(scenario()) == [1, 1, 1, 2]
    assert loads == [0.0, 2.0]


def test_a_failure_is_kept_for_failure_ttl_then_the_load_is_tried_again() -> None:
    clock = Clock()
    cache: TtlCache[str, str] = TtlCache(1.0, clock=clock, refresh_ahead=False, failure_ttl=1.0)
    calls: list[float] = []

    async def flaky() -> str:
        calls.append(clock.now)
        if len(calls) == 1:
            raise ConnectionError("down")
        return "up"

    async def scenario() -> str:
        for at in (0.0, 0.5, 0.99):
            clock.now = at
            with pytest.raises(ConnectionError, match="down"):
                await cache.get("k", flaky)
        clock.now = 1.0
        return await cache.get("k", flaky)

    assert asyncio.run(scenario()) == "up"
    assert calls == [0.0, 1.0]  # three callers in the outage cost one call


def test_a_kept_failure_does_not_hide_a_value_that_is_still_fresh() -> None:
    clock = Clock()
    cache: TtlCache[str, str] = TtlCache(2.0, clock=clock, failure_ttl=5.0)
    answers = iter(["v1"])

    async def load() -> str:
        try:
            return next(answers)
        except StopIteration:
            raise ConnectionError("down") from None

    async def scenario() -> list[str]:
        seen = [await cache.get("k", load)]
        clock.now = 1.5
        seen.append(await cache.get("k", load))  # starts a refresh, which fails
        await asyncio.sleep(0)
        clock.now = 1.9
        seen.append(await cache.get("k", load))  # the value is still fresh: served
        clock.now = 2.0
        with pytest.raises(ConnectionError):  # expired, and the failure is kept: no new call
            await cache.get("k", load)
        return seen

    assert asyncio.run(scenario()) == ["v1", "v1", "v1"]


def test_kept_failures_are_bounded_too_oldest_dropped_first() -> None:
    cache: TtlCache[int, int] = TtlCache(60.0, max_entries=3, failure_ttl=60.0)

    async def failing() -> int:
        raise ConnectionError("down")

    async def working() -> int:
        return 1

    async def scenario() -> int:
        for key in range(10):
            with pytest.raises(ConnectionError):
                await cache.get(key, failing)
        with pytest.raises(ConnectionError):
            await cache.get(9, working)  # among the last three: still kept
        return await cache.get(0, working)  # dropped long ago: loaded again

    assert asyncio.run(scenario()) == 1


def test_load_many_needs_refresh_ahead() -> None:
    async def many(keys: list[str]) -> dict[str, str]:
        return {}

    with pytest.raises(ValueError, match="needs refresh_ahead"):
        TtlCache(2.0, load_many=many, refresh_ahead=False)
