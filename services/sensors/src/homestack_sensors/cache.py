"""A short-lived in-process cache with single flight: concurrent misses for one key share one load."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Values live `ttl` seconds (0 disables caching); at most `max_entries`, oldest dropped first.

    A miss starts one load task per key; every caller that misses while it runs awaits the same task, so
    a burst of requests for one sensor costs one DynamoDB call. The task is shielded: a caller that goes
    away (client disconnect) does not cancel the load others are waiting for.

    Refresh ahead: a hit in the second half of an entry's life starts that load in the background and
    still answers from the cache, so a key in steady demand never makes a caller wait for DynamoDB, and
    no value is ever served older than `ttl` (measured from when its load started).
    """

    def __init__(
        self, ttl: float, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[K, tuple[float, float, V]] = {}  # key -> (refresh after, expires, value)
        self._pending: dict[K, asyncio.Task[V]] = {}

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The cached value for `key`, or the result of `load()` (shared with concurrent callers)."""
        if self.ttl <= 0:
            return await load()
        entry = self._entries.get(key)
        if entry is not None:
            refresh_after, expires, value = entry
            now = self._clock()
            if now < expires:
                if now >= refresh_after:
                    self._load(key, load)  # not awaited: this caller is answered from the cache
                return value
        return await asyncio.shield(self._load(key, load))

    def _load(self, key: K, load: Callable[[], Awaitable[V]]) -> asyncio.Task[V]:
        """The load in flight for `key`, started now if there is none."""
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fill(key, load))
            self._pending[key] = task
            task.add_done_callback(lambda done: self._settle(key, done))
        return task

    async def _fill(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        started = self._clock()
        value = await load()
        if len(self._entries) >= self.max_entries:
            self._evict()
        self._entries.pop(key, None)  # re-insert so dict order stays insertion (= expiry) order
        self._entries[key] = (started + self.ttl / 2, started + self.ttl, value)
        return value

    def _settle(self, key: K, task: asyncio.Task[V]) -> None:
        self._pending.pop(key, None)
        if not task.cancelled():
            task.exception()  # mark it retrieved: callers that left must not cause a "never retrieved" log

    def _evict(self) -> None:
        now = self._clock()
        for key in [k for k, (_, expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]

    def clear(self) -> None:
        """Forget every cached value (loads in flight still finish and are cached)."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
