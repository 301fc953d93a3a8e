"""A short-lived in-process cache with single flight: concurrent misses for one key share one load."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

logger = logging.getLogger("homestack.cache")


class TtlCache(Generic[K, V]):
    """Values live `ttl` seconds (0 disables caching); at most `max_entries`, oldest dropped first.

    A miss starts one load task per key; every caller that misses while it runs awaits the same task, so
    a burst of requests for one key costs one call to what is behind the cache. The task is shielded: a
    caller that goes away (client disconnect) does not cancel the load others are waiting for. No value
    is ever served older than `ttl`, measured from when its load started.

    Failures (with `failure_ttl`): a failed load is answered to the callers that miss in the next
    `failure_ttl` seconds without calling again, so an outage behind the cache is not hammered. With
    the default 0 a failure is not kept, and the next miss tries again at once.

    Refresh ahead (with `refresh_ahead`, the default): a hit in the second half of an entry's life starts
    that load in the background and still answers from the cache, so a key in steady demand never makes
    a caller wait for the load.

    Batched refresh (with `load_many`): the refresh reloads, in one call, every key hit since its last
    load whose refresh is due now or within the next quarter `ttl`. Keys refreshed together stay
    together, so a set of hot keys settles into one or two batch reads per half `ttl` instead of one
    read per key. `load_many` answers the keys it can; a key it leaves out keeps its value until that
    expires.
    """

    def __init__(
        self,
        ttl: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        load_many: Callable[[list[K]], Awaitable[Mapping[K, V]]] | None = None,
        *,
        refresh_ahead: bool = True,
        failure_ttl: float = 0.0,
    ) -> None:
        if load_many is not None and not refresh_ahead:
            raise ValueError("load_many is the batched form of refresh ahead: it needs refresh_ahead=True")
        self.ttl = ttl
        self.max_entries = max_entries
        self.failure_ttl = failure_ttl
        self._clock = clock
        self._load_many = load_many
        # Without refresh ahead an entry's refresh point is its expiry: the hit path needs no extra test.
        self._refresh_at = 0.5 if refresh_ahead else 1.0
        self._entries: dict[K, tuple[float, float, V]] = {}  # key -> (refresh after, expires, value)
        self._failures: dict[K, tuple[float, Exception]] = {}  # key -> (kept until, what the load raised)
        self._pending: dict[K, asyncio.Task[V]] = {}
        self._hot: set[K] = set()  # keys hit since their value was loaded
        self._refresher: asyncio.Task[None] | None = None

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The cached value for `key`, or the result of `load()` (shared with concurrent callers)."""
        if self.ttl <= 0:
            return await load()
        entry = self._entries.get(key)
        if entry is not None:
            refresh_after, expires, value = entry
            now = self._clock()
            if now < expires:
                if self._load_many is None:
                    if now >= refresh_after:
                        self._load(key, load)  # not awaited: this caller is answered from the cache
                else:
                    self._hot.add(key)
                    if now >= refresh_after and self._refresher is None:
                        self._refresher = asyncio.ensure_future(self._refresh_hot(self._load_many))
                return value
        if self._failures and key not in self._pending:
            self._raise_kept_failure(key)
        return await asyncio.shield(self._load(key, load))

    def _raise_kept_failure(self, key: K) -> None:
        kept = self._failures.get(key)
        if kept is None:
            return
        until, error = kept
        if self._clock() < until:
            raise error.with_traceback(None)  # the same error again, without piling up tracebacks
        del self._failures[key]

    async def _refresh_hot(self, load_many: Callable[[list[K]], Awaitable[Mapping[K, V]]]) -> None:
        """Reload, in one call, the hot keys due now or soon; again while more came due meanwhile.

        One refresher runs at a time; it stops when nothing hot is due or a call fails (the cached
        values stay until they expire, and the next hit in a refresh window tries again).
        """
        try:
            while due := self._due_soon():
                started = self._clock()
                try:
                    values = await load_many(list(due))
                except Exception as exc:
                    logger.warning("cache refresh failed", extra={"keys": len(due), "error": repr(exc)})
                    return
                for key, entry in due.items():
                    # A miss may have loaded the key again while this read was in flight: never put an
                    # older read back over it.
                    if key in values and self._entries.get(key) is entry and key not in self._pending:
                        self._store(key, started, values[key])
                    else:
                        self._hot.discard(key)  # left to the next hit or to expire
        finally:
            self._refresher = None

    def _due_soon(self) -> dict[K, tuple[float, float, V]]:
        """Hot keys whose refresh is due within a quarter ttl, with the entry each has now."""
        now = self._clock()
        due: dict[K, tuple[float, float, V]] = {}
        for key in list(self._hot):
            entry = self._entries.get(key)
            if entry is None or entry[1] <= now:
                self._hot.discard(key)  # gone or expired: the next request is a miss, loaded alone
            elif entry[0] <= now + self.ttl / 4 and key not in self._pending:
                due[key] = entry
        return due

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
        try:
            value = await load()
        except Exception as exc:
            if self.failure_ttl > 0:
                self._keep_failure(key, exc)
            raise
        self._store(key, started, value)
        return value

    def _store(self, key: K, started: float, value: V) -> None:
        if len(self._entries) >= self.max_entries and key not in self._entries:
            self._evict()
        self._entries.pop(key, None)  # re-insert so dict order stays insertion (= expiry) order
        self._entries[key] = (started + self.ttl * self._refresh_at, started + self.ttl, value)
        self._hot.discard(key)
        if self._failures:
            self._failures.pop(key, None)

    def _keep_failure(self, key: K, error: Exception) -> None:
        if len(self._failures) >= self.max_entries and key not in self._failures:
            now = self._clock()
            for old in [k for k, (until, _) in self._failures.items() if until <= now]:
                del self._failures[old]
            while len(self._failures) >= self.max_entries:
                del self._failures[next(iter(self._failures))]
        self._failures.pop(key, None)
        self._failures[key] = (self._clock() + self.failure_ttl, error)

    def _settle(self, key: K, task: asyncio.Task[V]) -> None:
        self._pending.pop(key, None)
        if not task.cancelled():
            task.exception()  # mark it retrieved: callers that left must not cause a "never retrieved" log

    def _evict(self) -> None:
        now = self._clock()
        for key in [k for k, (_, expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
            self._hot.discard(key)
        while len(self._entries) >= self.max_entries:
            key = next(iter(self._entries))
            del self._entries[key]
            self._hot.discard(key)

    async def aclose(self) -> None:
        """Stop the background refresh and loads (before what they call is closed)."""
        tasks = [task for task in (self._refresher, *self._pending.values()) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def clear(self) -> None:
        """Forget every cached value and failure (loads in flight still finish and are cached)."""
        self._entries.clear()
        self._failures.clear()
        self._hot.clear()

    def __len__(self) -> int:
        return len(self._entries)
