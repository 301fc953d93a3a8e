"""A closed-loop HTTP/1.1 load generator: N keep-alive connections, each sending its next request as soon
as the previous answer arrives; reports throughput, latency percentiles and errors.

Written on raw asyncio streams (with uvloop when present) rather than an HTTP client library, so that
on a small machine the generator costs far less CPU than the servers it measures.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    """One request to send: method, path (with query), optional body and extra headers."""

    path: str
    method: str = "GET"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    expect: tuple[int, ...] = (200,)

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass
class LoadResult:
    """What one load run measured (latencies in milliseconds)."""

    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    error_samples: list[str]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _worker(
    base: str, requests: Sequence[Request], start: int, state: dict[str, float], result: LoadResult
) -> None:
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    wire = [r.encode(f"{host}:{port}") for r in requests]
    order = itertools.islice(itertools.cycle(range(len(requests))), start, None)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for index in order:
            if time.monotonic() >= state["end"]:
                return
            sent = time.monotonic()
            try:
                writer.write(wire[index])
                status = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(f"{requests[index].path}: {exc!r}")
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            done = time.monotonic()
            if sent < state["measure_from"]:
                continue  # warm-up: caches, JIT, connection pools
            result.requests += 1
            result.latencies_ms.append((done - sent) * 1000)
            if status not in requests[index].expect:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(f"{requests[index].path}: HTTP {status}")
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _run(
    base: str, requests: Sequence[Request], concurrency: int, seconds: float, warmup: float
) -> LoadResult:
    now = time.monotonic()
    state = {"measure_from": now + warmup, "end": now + warmup + seconds}
    result = LoadResult(0, 0, seconds, [], [])
    step = max(1, len(requests) // concurrency)
    await asyncio.gather(*(_worker(base, requests, i * step, state, result) for i in range(concurrency)))
    return result


def run_load(
    base: str,
    requests: Sequence[Request],
    *,
    concurrency: int = 32,
    seconds: float = 8.0,
    warmup: float = 1.5,
) -> LoadResult:
    """Drive `base` with `concurrency` connections cycling through `requests` for `seconds` (after a
    `warmup` whose requests are not counted)."""
    try:
        import uvloop  # optional speed-up; plain asyncio works too
    except ImportError:
        return asyncio.run(_run(base, requests, concurrency, seconds, warmup))
    return uvloop.run(_run(base, requests, concurrency, seconds, warmup))
