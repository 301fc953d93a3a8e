"""Run: `python -m bench.ingest` (or `nox -s bench_ingest`). Prints readings/s, the ratio and a table audit.

In one invocation, against the same local DynamoDB behind the same latency proxy, the simulator drives
the baseline (one reading per request, one PutItem each) and then homestack_ingest (batches of 500).
Afterwards each table is read back: every acknowledged reading must be there, and none twice.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from harness.dynamodb import local_dynamodb, use_fake_credentials
from harness.proxy import latency_proxy
from harness.servers import uvicorn_app

from homestack_ingest.simulate import Config, Summary, simulate
from homestack_sensordata import READINGS, SENSORS, create_table, dynamodb_client, format_ts

KEY = "bench-ingest-key-0123456789"


@dataclass
class Run:
    app: str
    summary: Summary
    missing: int
    duplicates: int
    unacknowledged_items: int


def _audit(endpoint: str, table: str, summary: Summary) -> tuple[int, int, int]:
    """(acknowledged but missing, keys stored more than once, items never acknowledged) in `table`."""
    client = dynamodb_client(endpoint_url=endpoint)
    keys: Counter[tuple[str, str]] = Counter()
    for page in client.get_paginator("scan").paginate(
        TableName=table, ProjectionExpression="sensor_id, #ts", ExpressionAttributeNames={"#ts": "ts"}
    ):
        keys.update((item["sensor_id"]["S"], item["ts"]["S"]) for item in page["Items"])
    acknowledged = {(s, format_ts(datetime.fromisoformat(ts))) for s, ts in summary.acknowledged_keys}
    missing = len(acknowledged - set(keys))
    duplicates = (
        sum(count - 1 for count in keys.values()) + len(summary.acknowledged_keys) - len(acknowledged)
    )
    return missing, duplicates, len(set(keys) - acknowledged)


def _drive(app: str, url: str, args: argparse.Namespace, *, single: bool) -> Summary:
    config = Config(
        url=url,
        key=KEY,
        sensors=args.sensors,
        interval=60.0,
        rate=0,
        duration=args.seconds,
        batch=1 if single else 500,
        buffer=50,
        concurrency=args.concurrency,
        backfill=3 * 86_400.0,
        single=single,
        track=True,
    )
    print(f"  {app}: {args.seconds:g} s of load ...", flush=True)
    return asyncio.run(simulate(config))


def main() -> int:
    parser = argparse.ArgumentParser(description="Ingest load benchmark")
    parser.add_argument("--seconds", type=float, default=15.0, help="load seconds per app")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (both apps)")
    parser.add_argument("--delay-ms", type=float, default=7.0, help="latency added to every DynamoDB call")
    parser.add_argument("--sensors", type=int, default=200, help="simulated sensors")
    parser.add_argument("--engine", choices=["auto", "dynamodb-local", "moto"], default="auto")
    args = parser.parse_args()
    use_fake_credentials()
    runs: list[Run] = []
    with local_dynamodb(args.engine) as (engine, endpoint):
        client = dynamodb_client(endpoint_url=endpoint)
        tables = {"baseline": "bench-baseline-readings", "homestack_ingest": "bench-ingest-readings"}
        for name in tables.values():
            create_table(client, READINGS, name)
        create_table(client, SENSORS, "bench-ingest-sensors")
        port = int(endpoint.rsplit(":", 1)[1])
        with latency_proxy(port, args.delay_ms) as slow:
            print(
                f"DynamoDB: {engine} + {args.delay_ms:g} ms injected per call; {args.sensors} simulated "
                f"sensors; {args.concurrency} requests in flight; {args.seconds:g} s per app"
            )
            env = {
                "AWS_ENDPOINT_URL_DYNAMODB": slow,
                "INGEST_API_KEY": KEY,
                "SENSOR_TABLE": "bench-ingest-sensors",
                "APP_VERSION": "bench",
                "LOG_LEVEL": "warning",
            }
            for app, module, single in (
                ("baseline", "bench.ingest.baseline_app:app", True),
                ("homestack_ingest", "homestack_ingest.app:app", False),
            ):
                with uvicorn_app(module, env={**env, "READINGS_TABLE": tables[app]}) as url:
                    summary = _drive(app, url, args, single=single)
                runs.append(Run(app, summary, *_audit(endpoint, tables[app], summary)))
    return _report(runs)


def _report(runs: list[Run]) -> int:
    print(
        f"\n{'app':<20}{'readings/s':>12}{'acked':>10}{'requests':>10}{'retries':>9}{'missing':>9}{'dups':>6}"
    )
    for run in runs:
        s = run.summary
        print(
            f"{run.app:<20}{s.rate:>12.0f}{s.acknowledged:>10}{s.requests:>10}{s.retries:>9}"
            f"{run.missing:>9}{run.duplicates:>6}"
        )
    baseline, ours = runs[0].summary, runs[1].summary
    ratio = ours.rate / max(baseline.rate, 1e-9)
    print(f"\nratio (homestack_ingest / baseline readings/s acknowledged): x{ratio:.1f}")
    checks = [
        ("readings/s >= 10x baseline", ratio >= 10, f"x{ratio:.1f}"),
        ("acknowledged readings missing from the table", runs[1].missing == 0, f"{runs[1].missing}"),
        ("readings stored twice", runs[1].duplicates == 0, f"{runs[1].duplicates}"),
        ("readings given up by the simulator", ours.given_up == 0, f"{ours.given_up}"),
    ]
    print("\ntargets:")
    for name, ok, detail in checks:
        print(f"  [{'PASS' if ok else 'MISS'}] {name}: {detail}")
    print(f"\n{sum(ok for _, ok, _ in checks)} of {len(checks)} targets met (informational: no hard failure)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
