"""Run: `python -m bench.ingest` (or `nox -s bench_ingest`). Prints readings/s, the ratio and a table audit.

In one invocation, against the same local DynamoDB behind the same latency proxy, the simulator drives
the baseline (one reading per request, one PutItem each) and homestack_ingest (batches of 500). Each app
first gets a warm-up (unmeasured: DynamoDB Local's JVM compiles each code path it runs, and the two apps
run different ones), then the apps take turns for `--rounds` measured rounds; the ratio is the median
of the per-round ratios. Afterwards each table is read back: every acknowledged reading must be there,
and none twice.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from harness.dynamodb import local_dynamodb, use_fake_credentials
from harness.proxy import latency_proxy
from harness.servers import uvicorn_app

from homestack_ingest.simulate import Config, Summary, simulate
from homestack_sensordata import READINGS, SENSORS, create_table, dynamodb_client, format_ts

KEY = "bench-ingest-key-0123456789"
APPS = {"baseline": "bench.ingest.baseline_app:app", "homestack_ingest": "homestack_ingest.app:app"}
TABLES = {"baseline": "bench-baseline-readings", "homestack_ingest": "bench-ingest-readings"}
HOUR = 3600.0


@dataclass
class Run:
    app: str
    rounds: list[Summary] = field(default_factory=list)
    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # warm-up and rounds
    requests: int = 0
    retries: int = 0
    given_up: int = 0
    missing: int = 0
    duplicates: int = 0

    @property
    def rate(self) -> float:
        return statistics.median(s.rate for s in self.rounds)

    def add(self, summary: Summary, *, measured: bool) -> None:
        self.acknowledged += summary.acknowledged_keys
        self.given_up += summary.given_up
        if measured:
            self.rounds.append(summary)
            self.requests += summary.requests
            self.retries += summary.retries


def _audit(endpoint: str, table: str, run: Run) -> None:
    """Count acknowledged readings missing from `table`, and keys stored (or acknowledged) twice."""
    client = dynamodb_client(endpoint_url=endpoint, read_timeout=120)
    keys: Counter[tuple[str, str]] = Counter()
    for page in client.get_paginator("scan").paginate(
        TableName=table, ProjectionExpression="sensor_id, #ts", ExpressionAttributeNames={"#ts": "ts"}
    ):
        keys.update((item["sensor_id"]["S"], item["ts"]["S"]) for item in page["Items"])
    acknowledged = {(s, format_ts(datetime.fromisoformat(ts))) for s, ts in run.acknowledged}
    run.missing = len(acknowledged - set(keys))
    run.duplicates = sum(count - 1 for count in keys.values()) + len(run.acknowledged) - len(acknowledged)


def _drive(app: str, url: str, args: argparse.Namespace, seconds: float, window: int) -> Summary:
    # Each round starts its backlogs in its own six-hour window of the past: no two rounds share a key.
    config = Config(
        url=url,
        key=KEY,
        sensors=args.sensors,
        interval=60.0,
        rate=0,
        duration=seconds,
        batch=1 if app == "baseline" else 500,
        buffer=50,
        concurrency=args.concurrency,
        backfill=(2 + window / 4) * 24 * HOUR,
        single=app == "baseline",
        track=True,
    )
    return asyncio.run(simulate(config))


def main() -> int:
    parser = argparse.ArgumentParser(description="Ingest load benchmark")
    parser.add_argument("--seconds", type=float, default=10.0, help="load seconds per app and round")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds, the apps taking turns")
    parser.add_argument("--warmup", type=float, default=15.0, help="unmeasured load seconds per app first")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (both apps)")
    parser.add_argument("--delay-ms", type=float, default=7.0, help="latency added to every DynamoDB call")
    parser.add_argument("--sensors", type=int, default=200, help="simulated sensors")
    parser.add_argument("--engine", choices=["auto", "dynamodb-local", "moto"], default="auto")
    args = parser.parse_args()
    use_fake_credentials()
    runs = {app: Run(app) for app in APPS}
    with local_dynamodb(args.engine) as (engine, endpoint):
        client = dynamodb_client(endpoint_url=endpoint)
        for name in TABLES.values():
            create_table(client, READINGS, name)
        create_table(client, SENSORS, "bench-ingest-sensors")
        port = int(endpoint.rsplit(":", 1)[1])
        with latency_proxy(port, args.delay_ms) as slow:
            print(
                f"DynamoDB: {engine} + {args.delay_ms:g} ms injected per call; {args.sensors} simulated "
                f"sensors; {args.concurrency} requests in flight; warm-up {args.warmup:g} s per app, then "
                f"{args.rounds} rounds of {args.seconds:g} s per app, taking turns"
            )
            env = {
                "AWS_ENDPOINT_URL_DYNAMODB": slow,
                "INGEST_API_KEY": KEY,
                "SENSOR_TABLE": "bench-ingest-sensors",
                "APP_VERSION": "bench",
                "LOG_LEVEL": "warning",
            }
            with contextlib.ExitStack() as stack:
                urls = {
                    app: stack.enter_context(uvicorn_app(module, env={**env, "READINGS_TABLE": TABLES[app]}))
                    for app, module in APPS.items()
                }
                for app, run in runs.items():
                    print(f"  {app}: warm-up ...", flush=True)
                    run.add(_drive(app, urls[app], args, args.warmup, window=0), measured=False)
                for number in range(args.rounds):
                    for app, run in runs.items():
                        summary = _drive(app, urls[app], args, args.seconds, window=number + 1)
                        run.add(summary, measured=True)
                        print(f"  round {number + 1}: {app} {summary.rate:.0f} readings/s", flush=True)
        for app, run in runs.items():
            _audit(endpoint, TABLES[app], run)
    return _report(runs["baseline"], runs["homestack_ingest"])


def _report(baseline: Run, ours: Run) -> int:
    print(
        f"\n{'app':<20}{'readings/s':>12}{'rounds':>36}{'requests':>10}{'retries':>9}{'missing':>9}{'dups':>6}"
    )
    for run in (baseline, ours):
        rounds = ", ".join(f"{s.rate:.0f}" for s in run.rounds)
        print(
            f"{run.app:<20}{run.rate:>12.0f}{rounds:>36}{run.requests:>10}{run.retries:>9}"
            f"{run.missing:>9}{run.duplicates:>6}"
        )
    ratios = [o.rate / max(b.rate, 1e-9) for b, o in zip(baseline.rounds, ours.rounds, strict=True)]
    ratio = statistics.median(ratios)
    print(
        "\nratio (homestack_ingest / baseline readings/s acknowledged, median of the rounds): "
        f"x{ratio:.1f} (rounds: {', '.join(f'x{r:.1f}' for r in ratios)})"
    )
    checks = [
        ("readings/s >= 10x baseline", ratio >= 10, f"x{ratio:.1f}"),
        ("readings/s >= 20x baseline (the aim)", ratio >= 20, f"x{ratio:.1f}"),
        ("acknowledged readings missing from the table", ours.missing == 0, f"{ours.missing}"),
        ("readings stored twice", ours.duplicates == 0, f"{ours.duplicates}"),
        ("readings given up by the simulator", ours.given_up == 0, f"{ours.given_up}"),
    ]
    print("\ntargets:")
    for name, ok, detail in checks:
        print(f"  [{'PASS' if ok else 'MISS'}] {name}: {detail}")
    print(f"\n{sum(ok for _, ok, _ in checks)} of {len(checks)} targets met (informational: no hard failure)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
