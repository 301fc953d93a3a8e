"""Sensor simulator: `python -m homestack_ingest.simulate --url URL --sensors N --interval S`.

Posts realistic readings to an ingest service. Without `--rate` it behaves like live devices (every
sensor posts its reading every `--interval` seconds, now, in a request of its own). With `--rate` it
is a load source: devices that buffer `--buffer` readings each send a backlog from `--backfill`
seconds ago as fast as `--rate` allows (0 means as fast as the service answers), over `--concurrency`
connections. Readings ingest could not store in time (503, connection errors) are resent unchanged,
which ingest stores only once; readings it refused for good (500 marking them not retryable) are
counted as refused, never resent. The key comes from `--key` or INGEST_API_KEY and is never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import httpx

from homestack_ingest.simulated_sensors import backlog, make_sensors

MAX_BATCH = 500
MAX_ATTEMPTS = 12


class SimulatorError(Exception):
    """The simulator cannot go on (bad key, bad URL, readings refused): the message says why."""


@dataclass(frozen=True)
class Config:
    url: str
    key: str
    sensors: int = 10
    interval: float = 5.0
    rate: float | None = None  # readings per second; None = live mode; 0 = unlimited
    duration: float | None = None
    batch: int = MAX_BATCH
    buffer: int = 50
    concurrency: int = 4
    backfill: float = 86_400.0
    single: bool = False  # one reading object per request (for baselines that take no batches)
    seed: int = 1
    track: bool = False  # keep the acknowledged keys (for benches that check the table afterwards)


@dataclass
class Summary:
    """What the service said about the readings sent: every acknowledged reading was stored now, or is
    a duplicate, or a conflict (another reading of its key and instant is stored, with other values)."""

    generated: int = 0
    acknowledged: int = 0
    stored: int = 0
    duplicates: int = 0
    conflicts: int = 0
    refused: int = 0  # not stored, and the service said a resend would not be either
    requests: int = 0
    retries: int = 0
    given_up: int = 0
    seconds: float = 0.0
    acknowledged_keys: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.acknowledged / self.seconds if self.seconds else 0.0

    def report(self) -> dict[str, Any]:
        return {
            "generated": self.generated,
            "acknowledged": self.acknowledged,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
            "refused": self.refused,
            "requests": self.requests,
            "retries": self.retries,
            "given_up": self.given_up,
            "seconds": round(self.seconds, 2),
            "acknowledged_per_second": round(self.rate, 1),
        }


class Sender:
    """Delivers batches until each reading is acknowledged, retrying only what was not stored."""

    def __init__(self, client: httpx.AsyncClient, config: Config, summary: Summary) -> None:
        self.client = client
        self.config = config
        self.summary = summary
        self.headers = {"Authorization": f"Bearer {config.key}", "Content-Type": "application/json"}

    async def deliver(self, readings: list[dict[str, Any]]) -> None:
        pending = readings
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                self.summary.retries += 1
            body = pending[0] if self.config.single else {"readings": pending}
            self.summary.requests += 1
            try:
                response = await self.client.post("/readings", content=json.dumps(body), headers=self.headers)
            except httpx.TransportError:
                await asyncio.sleep(min(5.0, 0.1 * 2**attempt))
                continue
            if response.status_code in (200, 201):
                self._acknowledge(pending, response.json())
                return
            answer = _partial_answer(response)
            if answer is not None:  # 503, or 500 naming readings refused for good: resend the rest
                missing = {int(item["index"]): bool(item["retryable"]) for item in answer["not_stored"]}
                self._acknowledge([r for i, r in enumerate(pending) if i not in missing], answer)
                self.summary.refused += sum(not retryable for retryable in missing.values())
                pending = [r for i, r in enumerate(pending) if missing.get(i)]
                if not pending:
                    return
                await asyncio.sleep(_retry_after(response, attempt))
                continue
            if response.status_code in (429, 500, 502, 503, 504):
                await asyncio.sleep(_retry_after(response, attempt))
                continue
            raise SimulatorError(
                f"ingest refused the readings: HTTP {response.status_code}: {_message(response)}"
            )
        self.summary.given_up += len(pending)

    def _acknowledge(self, readings: list[dict[str, Any]], answer: dict[str, Any]) -> None:
        self.summary.acknowledged += len(readings)
        self.summary.stored += int(answer["stored"])
        self.summary.duplicates += int(answer["duplicates"])
        self.summary.conflicts += int(answer.get("conflicts", 0))  # an older ingest reports none
        if self.config.track:
            self.summary.acknowledged_keys.extend((r["sensor_id"], r["ts"]) for r in readings)


def _partial_answer(response: httpx.Response) -> dict[str, Any] | None:
    """The body of a 503 or 500 that says which readings were not stored (None for any other answer)."""
    if response.status_code not in (500, 503):
        return None
    try:
        answer = response.json()
    except ValueError:
        return None
    return answer if isinstance(answer, dict) and "not_stored" in answer else None


def _retry_after(response: httpx.Response, attempt: int) -> float:
    header = response.headers.get("retry-after", "")
    base = float(header) if header.isdigit() else 0.5
    return min(10.0, base * (1 + attempt * 0.5))


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


def _batches(chunks: Iterator[list[dict[str, Any]]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Regroup device chunks into requests of `size` readings."""
    batch: list[dict[str, Any]] = []
    for chunk in chunks:
        batch.extend(chunk)
        while len(batch) >= size:
            yield batch[:size]
            batch = batch[size:]


async def _load(sender: Sender, config: Config, started: float) -> None:
    sensors = make_sensors(config.sensors, config.seed)
    start = datetime.now(UTC) - timedelta(seconds=config.backfill)
    size = 1 if config.single else config.batch
    batches = _batches(backlog(sensors, start, config.interval, max(1, config.buffer)), size)
    end = started + config.duration if config.duration else float("inf")
    limit = config.rate or None

    async def worker() -> None:
        while time.monotonic() < end:
            batch = next(batches)
            sender.summary.generated += len(batch)
            if limit:  # pace: the n-th reading may leave no earlier than n / rate seconds in
                ahead = sender.summary.generated / limit - (time.monotonic() - started)
                if ahead > 0:
                    await asyncio.sleep(ahead)
            newest = max(datetime.fromisoformat(r["ts"]) for r in batch)
            wait = (newest - datetime.now(UTC)).total_seconds()
            if wait > 0:  # the backlog caught up with the present: real devices cannot run ahead
                await asyncio.sleep(wait)
            await sender.deliver(batch)

    await asyncio.gather(*(worker() for _ in range(config.concurrency)))


async def _live(sender: Sender, config: Config, started: float) -> None:
    sensors = make_sensors(config.sensors, config.seed)
    end = started + config.duration if config.duration else float("inf")
    while time.monotonic() < end:
        tick = time.monotonic()
        now = datetime.now(UTC)
        readings = [sensor.read(now) for sensor in sensors]
        sender.summary.generated += len(readings)
        # Each device posts its own reading, as live devices do (over the shared connections).
        await asyncio.gather(*(sender.deliver([reading]) for reading in readings))
        await asyncio.sleep(
            max(0.0, min(config.interval - (time.monotonic() - tick), end - time.monotonic()))
        )


async def simulate(config: Config, summary: Summary | None = None) -> Summary:
    """Run the simulation described by `config`; return (and fill `summary` with) what was acknowledged."""
    summary = summary if summary is not None else Summary()
    limits = httpx.Limits(
        max_connections=max(1, config.concurrency), max_keepalive_connections=config.concurrency
    )
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=config.url, limits=limits, timeout=30.0) as client:
        sender = Sender(client, config, summary)
        try:
            await (_live if config.rate is None else _load)(sender, config, started)
        finally:
            summary.seconds = time.monotonic() - started
    return summary


def parse_args(argv: Sequence[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(
        prog="python -m homestack_ingest.simulate", description=(__doc__ or "").split("\n\n")[1]
    )
    parser.add_argument("--url", required=True, help="ingest base URL, e.g. http://127.0.0.1:8001")
    parser.add_argument("--key", help="API key (default: the INGEST_API_KEY environment variable)")
    parser.add_argument("--sensors", type=int, default=10, help="number of simulated sensors")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between a sensor's readings")
    parser.add_argument("--rate", type=float, help="load mode: readings per second to send (0 = unlimited)")
    parser.add_argument("--duration", type=float, help="stop after this many seconds (default: run on)")
    parser.add_argument(
        "--batch", type=int, default=MAX_BATCH, help=f"load mode: readings per request (1-{MAX_BATCH})"
    )
    parser.add_argument("--buffer", type=int, default=50, help="load mode: readings each device buffers")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight at once")
    parser.add_argument("--backfill", type=float, default=86_400.0, help="load mode: start this many s ago")
    parser.add_argument("--single", action="store_true", help="post one reading object per request")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same sensors)")
    args = parser.parse_args(argv)
    key = args.key or os.environ.get("INGEST_API_KEY", "").split(",")[0].strip()
    if not key:
        parser.error("no API key: pass --key or set INGEST_API_KEY")
    if not 1 <= args.batch <= MAX_BATCH or args.sensors < 1 or args.interval <= 0 or args.concurrency < 1:
        parser.error(
            f"--batch must be 1-{MAX_BATCH}; --sensors, --interval and --concurrency must be positive"
        )
    return Config(
        url=args.url,
        key=key,
        sensors=args.sensors,
        interval=args.interval,
        rate=args.rate,
        duration=args.duration,
        batch=args.batch,
        buffer=args.buffer,
        concurrency=args.concurrency,
        backfill=args.backfill,
        single=args.single,
        seed=args.seed,
    )


def _say(stream: TextIO, line: str) -> None:
    stream.write(line + "\n")
    stream.flush()


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    mode = "live" if config.rate is None else f"load at {config.rate or 'unlimited'} readings/s"
    _say(sys.stdout, f"simulating {config.sensors} sensors against {config.url} ({mode}); Ctrl-C stops")
    summary = Summary()
    try:
        asyncio.run(simulate(config, summary))
    except KeyboardInterrupt:
        _say(sys.stderr, "interrupted")
    except SimulatorError as exc:
        _say(sys.stderr, f"simulator stopped: {exc}")
        return 1
    _say(sys.stdout, json.dumps(summary.report()))
    return 0 if summary.given_up == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
