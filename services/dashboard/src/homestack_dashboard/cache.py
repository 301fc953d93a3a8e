"""A short-lived, single-flight cache: many pages polling at once cost the sensors API one request."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

_MAX_ENTRIES = 2048


@dataclass
class _Entry:
    future: asyncio.Future[Any]
    expires: float


def _consume(future: asyncio.Future[Any]) -> None:
    # Mark a failure as seen even if every waiter went away, so asyncio does not log it as lost.
    if not future.cancelled():
        future.exception()


class TtlCache:
    """Results (and failures, so an outage is not hammered) are kept `ttl` seconds after they finish.

    Callers asking for a key whose load is still running wait for that same load instead of starting
    another one.
    """

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[Hashable, _Entry] = {}

    async def get(self, key: Hashable, load: Callable[[], Awaitable[Any]]) -> Any:
        """The cached result for `key`, loading it with `load()` when missing or expired."""
        entry = self._entries.get(key)
        if entry is None or (entry.future.done() and entry.expires <= self._clock()):
            entry = self._start(key, load)
        # shield: one caller giving up (a closed page) must not cancel the load others wait for.
        return await asyncio.shield(entry.future)

    def _start(self, key: Hashable, load: Callable[[], Awaitable[Any]]) -> _Entry:
        if len(self._entries) >= _MAX_ENTRIES:
            self._prune()
        future: asyncio.Future[Any] = asyncio.ensure_future(load())
        entry = _Entry(future, math.inf)

        def finished(done: asyncio.Future[Any]) -> None:
            _consume(done)
            entry.expires = self._clock() + self.ttl

        future.add_done_callback(finished)
        self._entries[key] = entry
        return entry

    def _prune(self) -> None:
        now = self._clock()
        for key in [k for k, e in self._entries.items() if e.future.done() and e.expires <= now]:
            del self._entries[key]
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()

    def clear(self) -> None:
        """Forget everything (a new load starts on the next request)."""
        self._entries.clear()
