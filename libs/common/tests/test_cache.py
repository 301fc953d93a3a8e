"""TtlCache: shared loads, expiry by the clock, bounded size, failures (kept or not), refresh ahead."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from homestack_common import TtlCache
from homestack_common.testing import capture_logs


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


class BatchSource:
    """load_many for the batched-refresh tests: records each call, answers `version` for every key."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.version = "v2"
        self.fail = False
        self.leave_out: set[str] = set()

    async def __call__(self, keys: list[str]) -> dict[str, str]:
        self.calls.append(sorted(keys))
        if self.fail:
            raise RuntimeError("store unavailable")
        return {key: f"{key}-{self.version}" for key in keys if key not in self.leave_out}


class HeldBatch:
    """load_many that waits until `release` is set, then answers `answer` for every key."""

    def __init__(self, answer: str) -> None:
        self.calls: list[list[str]] = []
        self.release = asyncio.Event()
        self.answer = answer

    async def __call__(self, keys: list[str]) -> dict[str, str]:
        self.calls.append(keys)
        await self.release.wait()
        return {key: f"{key}-{self.answer}" for key in keys}


def _first_load(key: str) -> Callable[[], Awaitable[str]]:
    async def load() -> str:
        return f"{key}-v1"

    return load


async def _settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


def test_hot_keys_due_now_or_soon_are_refreshed_together_in_one_call() -> None:
    clock = Clock()
    source = BatchSource()
    cache: TtlCache[str, str] = TtlCache(2.0, clock=clock, load_many=source)

    async def scenario() -> list[str]:
        for key, at in (("a", 0.0), ("b", 0.3), ("c", 0.9), ("cold", 0.1)):
            clock.now = at
            await cache.get(key, _first_load(key))
        clock.now = 1.04
        answers = [await cache.get(k, _first_load(k)) for k in ("b", "c")]  # hot, not due yet
        clock.now = 1.05
        answers.append(await cache.get("a", _first_load("a")))  # due: starts the refresh
        await _settle()
        answers += [await cache.get(k, _first_load(k)) for k in ("a", "b", "c", "cold")]
        return answers

    answers = asyncio.run(scenario())
    # a (due at 1.0) and b (due at 1.3, within a quarter ttl) in one call; c is due at 1.9, too far;
    # "cold" was never hit after its load, so it is left to expire.
    assert source.calls == [["a", "b"]]
    assert answers == ["b-v1", "c-v1", "a-v1", "a-v2", "b-v2", "c-v1", "cold-v1"]


def test_keys_refreshed_together_stay_together() -> None:
    clock = Clock()
    source = BatchSource()
    cache: TtlCache[str, str] = TtlCache(2.0, clock=clock, load_many=source)

    async def scenario() -> None:
        for key, at in (("a", 0.0), ("b", 0.2)):
            clock.now = at
            await cache.get(key, _first_load(key))
        for step in range(1, 40):  # both keys read every 0.1 s for four seconds
            clock.now = 0.2 + step * 0.1
            for key in ("a", "b"):
                await cache.get(key, _first_load(key))
            await _settle()

    asyncio.run(scenario())
    assert all(call == ["a", "b"] for call in source.calls)
    assert len(source.calls) == 4  # one batch per half ttl, never one read per key


def test_a_failed_refresh_keeps_values_until_they_expire_and_is_tried_again() -> None:
    clock = Clock()
    source = BatchSource()
    source.fail = True
    cache: TtlCache[str, str] = TtlCache(2.0, clock=clock, load_many=source)

    async def scenario() -> list[str]:
        await cache.get("a", _first_load("a"))
        answers = []
        for at in (1.2, 1.5):
            clock.now = at
            answers.append(await cache.get("a", _first_load("a")))
            await _settle()
        clock.now = 2.0  # expired: a miss loads it alone, as the first time
        answers.append(await cache.get("a", _first_load("a")))
        return answers

    with capture_logs() as logs:
        answers = asyncio.run(scenario())
    assert answers == ["a-v1", "a-v1", "a-v1"]
    assert source.calls == [["a"], ["a"]]
    assert [r["message"] for r in logs if r["logger"] == "homestack.cache"] == [
        "cache refresh failed",
        "cache refresh failed",
    ]


def test_a_key_the_batch_leaves_out_keeps_its_value_until_it_expires() -> None:
    clock = Clock()
    source = BatchSource()
    source.leave_out = {"b"}
    cache: TtlCache[str, str] = TtlCache(2.0, clock=clock, load_many=source)

    async def scenario() -> list[str]:
        for key in ("a", "b"):
            await cache.get(key, _first_load(key))
        clock.now = 1.1
        await cache.get("b", _first_load("b"))
        await cache.get("a", _first_load("a"))
        await _settle()
        clock.now = 1.9
        answers = [await cache.get(k, _first_load(k)) for k in ("a", "b")]
        clock.now = 2.0

        async def miss() -> str:
            return "b-loaded-alone"

        answers.append(await cache.get("b", miss))  # b expired: a miss loads it on its own
        return answers

    assert asyncio.run(scenario()) == ["a-v2", "b-v1", "b-loaded-alone"]


def test_a_refresh_never_puts_an_older_read_back_over_a_newer_load() -> None:
    clock = Clock()
    slow_batch = HeldBatch("batch-read-at-1.1")
    cache: TtlCache[str, str] = TtlCache(2.0, clock=clock, load_many=slow_batch)

    async def scenario() -> list[str]:
        await cache.get("a", _first_load("a"))
        clock.now = 1.1
        answers = [await cache.get("a", _first_load("a"))]  # starts the (slow) batch refresh
        await _settle()
        clock.now = 2.5  # expired while the batch is in flight: a miss loads it alone

        async def newer() -> str:
            return "a-loaded-at-2.5"

        answers.append(await cache.get("a", newer))
        slow_batch.release.set()
        await _settle()
        answers.append(await cache.get("a", _first_load("a")))
        return answers

    assert asyncio.run(scenario()) == ["a-v1", "a-loaded-at-2.5", "a-loaded-at-2.5"]
    assert slow_batch.calls == [["a"]]


def test_a_hot_key_that_expired_is_not_refreshed_with_the_others() -> None:
    clock = Clock()
    source = BatchSource()
    cache: TtlCache[str, str] = TtlCache(2.0, clock=clock, load_many=source)

    async def scenario() -> None:
        await cache.get("old", _first_load("old"))
        clock.now = 0.5
        await cache.get("old", _first_load("old"))  # hot, then never asked for again
        clock.now = 2.5
        await cache.get("new", _first_load("new"))
        clock.now = 3.6
        await cache.get("new", _first_load("new"))  # due: starts a refresh
        await _settle()

    asyncio.run(scenario())
    assert source.calls == [["new"]]


def test_closing_the_cache_stops_a_refresh_in_flight() -> None:
    clock = Clock()
    hanging = HeldBatch("never-answered")  # never released
    cache: TtlCache[str, str] = TtlCache(2.0, clock=clock, load_many=hanging)

    async def scenario() -> None:
        await cache.get("a", _first_load("a"))
        clock.now = 1.5
        await cache.get("a", _first_load("a"))
        await _settle()
        await asyncio.wait_for(cache.aclose(), timeout=1)

    asyncio.run(scenario())
    assert hanging.calls == [["a"]]
