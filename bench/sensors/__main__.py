"""Run: `python -m bench.sensors` (or `nox -s bench`). Prints figures, ratios and a pass/miss per target.

Everything runs in this one invocation against the same local DynamoDB behind the same latency proxy:
the seed-style baseline, our service (cache on, and cache off for reference) and a hello-world ceiling.
Our service and the hello world run side by side and are measured in alternating rounds (`--rounds`);
their rows and the ratio to the ceiling are medians over the rounds, since a single run on a small
machine moves by a fifth from one minute to the next.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import urllib.request
from dataclasses import dataclass, field

from harness.dynamodb import local_dynamodb, use_fake_credentials
from harness.load import LoadResult, Request, run_load
from harness.proxy import latency_proxy
from harness.seed import seed
from harness.servers import uvicorn_app

SENSORS_TABLE, READINGS_TABLE = "bench-sensors", "bench-readings"


@dataclass
class Row:
    """One app and route: its figures, the median over `runs` when it was measured more than once."""

    app: str
    route: str
    runs: list[LoadResult] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.runs)

    @property
    def p50(self) -> float:
        return statistics.median(r.p50 for r in self.runs)

    @property
    def p99(self) -> float:
        return statistics.median(r.p99 for r in self.runs)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)

    @property
    def error_samples(self) -> list[str]:
        return [sample for r in self.runs for sample in r.error_samples][:5]


def _fetch(url: str) -> tuple[list[object], str | None]:
    with urllib.request.urlopen(url, timeout=30) as response:  # loopback only: our own child
        return json.loads(response.read()), response.headers.get("X-Next-Cursor")


def _count_listed(base: str, paginated: bool) -> int:
    items, cursor = _fetch(base + "/sensors")
    total = len(items)
    while paginated and cursor:
        items, cursor = _fetch(f"{base}/sensors?cursor={cursor}")
        total += len(items)
    return total


def _by_id(ids: list[str], args: argparse.Namespace) -> list[Request]:
    rng = random.Random(1)
    hot = ids[: args.hot]
    return [Request(f"/sensors/{rng.choice(hot)}") for _ in range(2000)]


def _load(base: str, requests: list[Request], args: argparse.Namespace) -> LoadResult:
    return run_load(base, requests, concurrency=args.concurrency, seconds=args.seconds)


def _measure(app: str, base: str, ids: list[str], args: argparse.Namespace) -> list[Row]:
    """One run each of GET /sensors/{id} and GET /sensors."""
    return [
        Row(app, "GET /sensors/{id}", [_load(base, _by_id(ids, args), args)]),
        Row(app, "GET /sensors", [_load(base, [Request("/sensors")], args)]),
    ]


def _print_rows(rows: list[Row]) -> None:
    print(f"\n{'app':<26}{'route':<20}{'runs':>5}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for r in rows:
        print(
            f"{r.app:<26}{r.route:<20}{len(r.runs):>5}{r.rps:>10.0f}{r.p50:>10.1f}{r.p99:>10.1f}{r.errors:>8}"
        )
        for sample in r.error_samples:
            print(f"    error sample: {sample}")


def _verdict(name: str, ok: bool, detail: str) -> bool:
    print(f"  [{'PASS' if ok else 'MISS'}] {name}: {detail}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description="Sensors API load benchmark")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per run")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent keep-alive clients")
    parser.add_argument("--delay-ms", type=float, default=7.0, help="latency added to every DynamoDB call")
    parser.add_argument("--sensors", type=int, default=250, help="sensors in the table")
    parser.add_argument(
        "--hot", type=int, default=25, help="GET /sensors/{id} spreads over this many sensors"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating runs of our service and the hello world"
    )
    parser.add_argument("--engine", choices=["auto", "dynamodb-local", "moto"], default="auto")
    args = parser.parse_args()
    use_fake_credentials()

    with local_dynamodb(args.engine) as (engine, endpoint):
        ids = seed(
            endpoint,
            sensors_table=SENSORS_TABLE,
            readings_table=READINGS_TABLE,
            sensors=args.sensors,
            readings_per_sensor=2,
        )
        port = int(endpoint.rsplit(":", 1)[1])
        with latency_proxy(port, args.delay_ms) as slow_endpoint:
            env = {
                "AWS_ENDPOINT_URL_DYNAMODB": slow_endpoint,
                "SENSOR_TABLE": SENSORS_TABLE,
                "READINGS_TABLE": READINGS_TABLE,
                "CURSOR_KEY": "bench-cursor-key-0123456789",
                "APP_VERSION": "bench",
                "LOG_FORMAT": "json",
            }
            print(
                f"DynamoDB: {engine} + {args.delay_ms:g} ms injected per call; {len(ids)} sensors, "
                f"GET /sensors/{{id}} spread over {min(args.hot, len(ids))} of them; "
                f"{args.concurrency} clients; {args.seconds:g} s per run",
                flush=True,
            )
            rows: list[Row] = []
            listed: dict[str, int] = {}
            with uvicorn_app("bench.sensors.baseline_app:app", env=env) as base:
                listed["baseline (seed-style)"] = _count_listed(base, paginated=False)
                rows += _measure("baseline (seed-style)", base, ids, args)
            ours_id = Row("homestack_sensors", "GET /sensors/{id}")
            ours_list = Row("homestack_sensors", "GET /sensors")
            # The same app's /health: no DynamoDB, no cache, only the shared service stack (request
            # ids, JSON access log, error handling), i.e. the ceiling of any homestack route.
            health = Row("homestack_sensors", "GET /health")
            hello = Row("FastAPI hello world", "GET /health")
            with (
                uvicorn_app("homestack_sensors.app:app", env=env) as ours,
                uvicorn_app("bench.sensors.hello_app:app", env=env) as ceiling,
            ):
                listed["homestack_sensors"] = _count_listed(ours, paginated=True)
                ours_list.runs.append(_load(ours, [Request("/sensors")], args))
                for _ in range(max(1, args.rounds)):  # one server busy at a time, the other idle
                    ours_id.runs.append(_load(ours, _by_id(ids, args), args))
                    health.runs.append(_load(ours, [Request("/health")], args))
                    hello.runs.append(_load(ceiling, [Request("/health")], args))
            rows += [ours_id, ours_list, health]
            with uvicorn_app("homestack_sensors.app:app", env={**env, "CACHE_TTL": "0"}) as base:
                rows += _measure("homestack_sensors cache=0", base, ids, args)
            rows.append(hello)

    _print_rows(rows)
    for app, count in listed.items():
        print(f"\n{app}: GET /sensors (+ X-Next-Cursor pages) listed {count} of {len(ids)} sensors", end="")
    base_id, base_list = rows[0], rows[1]
    # Each round's ratio is taken between runs a few seconds apart; the median of those is the figure.
    pairs = zip(ours_id.runs, hello.runs, strict=True)
    to_ceiling = statistics.median(o.rps / max(h.rps, 1e-9) for o, h in pairs)
    print("\n\nratios (homestack_sensors / baseline):")
    print(
        f"  GET /sensors/{{id}}: throughput x{ours_id.rps / max(base_id.rps, 1e-9):.1f}, "
        f"p99 x{ours_id.p99 / base_id.p99:.3f}"
    )
    print(
        f"  GET /sensors:      throughput x{ours_list.rps / max(base_list.rps, 1e-9):.1f}, "
        f"p99 x{ours_list.p99 / base_list.p99:.3f}"
    )
    rounds = len(hello.runs)
    print(f"  GET /sensors/{{id}} vs hello-world ceiling: {to_ceiling:.2f} (median of {rounds} rounds)")
    print(f"  GET /sensors/{{id}} vs our own GET /health: {ours_id.rps / max(health.rps, 1e-9):.2f}")
    print(f"  our GET /health vs hello-world ceiling: {health.rps / max(hello.rps, 1e-9):.2f}")
    print("\ntargets:")
    ours_errors = sum(row.errors for row in rows if row.app.startswith("homestack"))
    results = [
        _verdict(
            "throughput >= 10x baseline on GET /sensors/{id}",
            ours_id.rps >= 10 * base_id.rps,
            f"{ours_id.rps:.0f} vs {base_id.rps:.0f} req/s",
        ),
        _verdict(
            "throughput >= half the hello-world ceiling",
            to_ceiling >= 0.5,
            f"{to_ceiling:.2f} ({ours_id.rps:.0f} vs {hello.rps:.0f} req/s, medians)",
        ),
        _verdict(
            "p99 <= 1/5 of baseline on GET /sensors/{id}",
            ours_id.p99 <= base_id.p99 / 5,
            f"{ours_id.p99:.1f} vs {base_id.p99:.1f} ms",
        ),
        _verdict("zero errors (homestack_sensors)", ours_errors == 0, f"{ours_errors} errors"),
        _verdict(
            "every sensor listed",
            listed["homestack_sensors"] == len(ids),
            f"{listed['homestack_sensors']} of {len(ids)}",
        ),
    ]
    print(f"\n{sum(results)} of {len(results)} targets met (figures are informational: no hard failure)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
