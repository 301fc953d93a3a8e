"""TtlCache's batched refresh ahead: hot keys reloaded together, never an older read over a newer one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from homestack_common import TtlCache
from homestack_common.testing import capture_logs


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


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
