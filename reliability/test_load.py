"""Sustained concurrent load on loopback (`--duration` seconds per service): no error, p99 printed, and
each service process's memory stable from the start of the load to its end."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psutil
import pytest
from harness.load import LoadResult, Request, run_load

from reliability.figures import Figures
from reliability.fleet import KEY, Fleet, server_process

MiB = 1024 * 1024
# A service that holds no per-request state must not grow by more than this over a whole run; a leak
# of even 1 KiB per request would pass it within seconds at the request rates reached here.
RSS_GROWTH_BOUND_MIB = 48.0
WARMUP_SECONDS = 5.0


@dataclass
class Memory:
    """RSS of one process, sampled every half second in a thread while the load runs."""

    process: psutil.Process
    samples: list[int]
    stop: threading.Event

    def sample(self) -> None:
        while not self.stop.wait(0.5):
            self.samples.append(self.process.memory_info().rss)


def _under_load(
    base_url: str, requests: Sequence[Request], concurrency: int, seconds: float
) -> tuple[LoadResult, float, float]:
    """(load result, RSS at the start of the measured run in MiB, growth to its end in MiB)."""
    run_load(base_url, requests, concurrency=concurrency, seconds=WARMUP_SECONDS, warmup=1.0)  # caches, pools
    process = server_process(base_url)
    memory = Memory(process, [process.memory_info().rss], threading.Event())
    sampler = threading.Thread(target=memory.sample, daemon=True)
    sampler.start()
    try:
        result = run_load(base_url, requests, concurrency=concurrency, seconds=seconds, warmup=0.0)
    finally:
        memory.stop.set()
        sampler.join()
    end = process.memory_info().rss
    return result, memory.samples[0] / MiB, (end - memory.samples[0]) / MiB


def _record(figures: Figures, name: str, result: LoadResult, start_mib: float, growth_mib: float) -> None:
    figures.count("requests served", result.requests)
    figures.p99_ms[name] = result.p99
    figures.rss_growth_mib[name] = growth_mib
    figures.note(
        f"load {name}: {result.seconds:g} s, {result.requests} requests ({result.rps:.0f}/s), "
        f"{result.errors} errors, p50 {result.p50:.1f} ms, p99 {result.p99:.1f} ms, "
        f"RSS {start_mib:.0f} MiB -> {start_mib + growth_mib:.0f} MiB (bound +{RSS_GROWTH_BOUND_MIB:g})"
    )


@pytest.mark.slow
def test_sensors_api_serves_sustained_load_without_errors_or_memory_growth(
    fleet: Fleet, figures: Figures, duration: float
) -> None:
    requests = [Request("/sensors"), Request("/health")]
    for sensor_id in fleet.sensor_ids:
        requests += [Request(f"/sensors/{sensor_id}"), Request(f"/sensors/{sensor_id}/readings?limit=50")]
    requests.append(Request("/sensors/no-such-sensor", expect=(404,)))
    result, start, growth = _under_load(fleet.sensors, requests, concurrency=32, seconds=duration)
    _record(figures, "sensors", result, start, growth)
    assert result.requests > 0
    assert result.errors == 0, result.error_samples
    assert growth <= RSS_GROWTH_BOUND_MIB


def _ingest_requests(count: int, per_request: int) -> list[Request]:
    """`count` POSTs of `per_request` new readings each (after one cycle they come back as duplicates,
    which ingest must answer 200 and store once)."""
    start = datetime.now(UTC) - timedelta(days=1)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    out = []
    for n in range(count):
        ts = start + timedelta(seconds=n)
        readings = [
            {
                "sensor_id": f"load-{i:03d}",
                "ts": ts.isoformat(),
                "values": {"temperature": 20 + i / 100, "humidity": 45},
            }
            for i in range(per_request)
        ]
        body = json.dumps({"readings": readings}).encode()
        out.append(Request("/readings", method="POST", body=body, headers=headers))
    return out


@pytest.mark.slow
def test_ingest_serves_sustained_load_without_errors_or_memory_growth(
    fleet: Fleet, figures: Figures, duration: float
) -> None:
    requests = _ingest_requests(count=4000, per_request=10)
    result, start, growth = _under_load(fleet.ingest, requests, concurrency=16, seconds=duration)
    _record(figures, "ingest", result, start, growth)
    assert result.requests > 0
    assert result.errors == 0, result.error_samples
    assert growth <= RSS_GROWTH_BOUND_MIB
