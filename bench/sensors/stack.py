"""Run: `python -m bench.sensors.stack`. What the shared service stack costs per request, in process.

The load benchmark (`python -m bench.sensors`) measures whole requests over HTTP, where uvicorn, the
kernel and the load generator share two cores and the figures move by 20% from run to run. This one
drives the ASGI apps directly, one request at a time, and counts what a request costs the process:

- Python function calls per request (cProfile's count: the same on every run of the same code), and
- CPU microseconds per request (the least of interleaved rounds, as `timeit` advises: noise only ever
  adds time; still noisier than the call count).

Rows: FastAPI hello world with its route on the app and the same route in an included router (what
FastAPI's nesting costs by itself), then our sensors app's `/health` (the shared stack alone: request
id, JSON access line, error handling) and `GET /sensors/{id}` answered from the snapshot cache. The
store behind the cache is a stub: DynamoDB is the load benchmark's business, not this one's.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from anyio import CapacityLimiter
from fastapi import APIRouter, FastAPI

from homestack_common.testing import AsgiApp, calls_per_request, get_in_process


def _included_hello() -> FastAPI:
    router = APIRouter()

    @router.get("/health")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    app = FastAPI()
    app.include_router(router)
    return app


class _StubStore:
    """Answers get_sensor without DynamoDB (the cache calls it once per sensor: ttl is huge)."""

    def get_sensor(self, sensor_id: str) -> Any:
        from homestack_sensordata import SensorSnapshot

        return SensorSnapshot(
            sensor_id=sensor_id,
            name="Kitchen",
            ts=datetime(2026, 11, 26, 12, 0, tzinfo=UTC),
            values={"temperature": 21.5, "humidity": 40.0},
            units={"temperature": "C", "humidity": "%"},
        )


def _sensors_app() -> FastAPI:
    """The real sensors app, its logging configured as its lifespan would, its reader on a stub store."""
    os.environ.update(
        {
            "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
            "SENSOR_TABLE": "bench-sensors",
            "READINGS_TABLE": "bench-readings",
            "APP_VERSION": "bench",
        }
    )
    from homestack_common import configure_logging
    from homestack_sensors.app import app
    from homestack_sensors.reader import Reader

    # JSON lines through the real writer thread to /dev/null: formatting, queueing and writing stay in.
    configure_logging("sensors", "info", "json", stream=open(os.devnull, "w"))  # noqa: SIM115
    app.state.reader = Reader(_StubStore(), CapacityLimiter(8), ttl=1e9, max_entries=1000)  # type: ignore[arg-type]
    return app


def _cpu_us(app: AsgiApp, path: str, count: int) -> float:
    started = time.process_time()
    statuses = get_in_process(app, path, count)
    if statuses != {200}:
        raise SystemExit(f"stack bench: {path} answered {sorted(statuses)}, expected only 200")
    return (time.process_time() - started) / count * 1e6


@dataclass
class Row:
    name: str
    app: AsgiApp
    path: str
    calls: float = 0.0
    cpu: list[float] = field(default_factory=list)

    @property
    def cpu_us(self) -> float:
        return min(self.cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description="Per-request cost of the shared service stack, in process")
    parser.add_argument("--requests", type=int, default=3000, help="requests per measurement")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved CPU-time rounds (least shown)")
    args = parser.parse_args()

    from bench.sensors.hello_app import app as hello

    sensors = _sensors_app()
    rows = [
        Row("FastAPI hello world", hello, "/health"),
        Row("hello world, include_router", _included_hello(), "/health"),
        Row("homestack_sensors", sensors, "/health"),
        Row("homestack_sensors (cached)", sensors, "/sensors/kitchen-1"),
    ]
    for row in rows:  # warm up: imports, route compilation, the one cache fill
        get_in_process(row.app, row.path, 200)
        row.calls = calls_per_request(row.app, row.path, args.requests)
    for _ in range(args.rounds):
        for row in rows:
            row.cpu.append(_cpu_us(row.app, row.path, args.requests))

    print(f"{args.requests} requests per measurement, CPU: least of {args.rounds} interleaved rounds\n")
    print(f"{'app':<30}{'route':<22}{'calls/req':>10}{'CPU us/req':>12}")
    for row in rows:
        route = "GET /sensors/{id}" if row.path.startswith("/sensors") else "GET /health"
        print(f"{row.name:<30}{route:<22}{row.calls:>10.0f}{row.cpu_us:>12.1f}")
    hello_row = rows[0]
    print("\nvs FastAPI hello world (calls, CPU):")
    for row in rows[1:]:
        print(
            f"  {row.name + ' ' + row.path:<50} x{row.calls / hello_row.calls:.2f} calls, "
            f"x{row.cpu_us / hello_row.cpu_us:.2f} CPU"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
