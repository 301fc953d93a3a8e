"""Run: `python -m bench.ingest.mechanisms`. How to write a batch so that the first write of a key wins.

Against DynamoDB Local behind the 7 ms latency proxy, 8 writers at once (as 8 requests in flight), each
writing batches of readings (the simulator's item layout) over a pool of 16 threads like ingest's, with
each mechanism in turn; rounds alternate between mechanisms after a warm-up of each (DynamoDB Local's
JVM compiles each code path it runs). Mechanisms:

- `get+batchwrite`: BatchGetItem for the keys already stored, then BatchWriteItem of the rest (what
  ingest did: two writers of one key both find it missing and both write it: not first-write-wins);
- `putitem`: one conditional PutItem per reading (attribute_not_exists, ALL_OLD on failure);
- `transact`: TransactWriteItems of up to 100 such conditional puts;
- `get+transact`: BatchGetItem first, then transactions of only the keys not found.

Scenarios: batches of 500 new readings; batches of 500 written twice (the second time every reading is
already stored: a device resending its backlog); and lone readings (a live device). Printed per
mechanism and scenario: readings/s, median milliseconds per write, and CPU per reading of the writers
(this process) and of DynamoDB Local, medians over the rounds. DynamoDB bills a conditional put as one
write unit and a transactional one as two
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psutil
from botocore.exceptions import ClientError
from harness.dynamodb import local_dynamodb, use_fake_credentials
from harness.proxy import latency_proxy

from homestack_sensordata import READINGS, create_table, dynamodb_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

WRITERS, THREADS = 8, 16
CONDITION = "attribute_not_exists(sensor_id)"
SCENARIOS = {"500 new": (500, 1), "500 twice": (500, 2), "1 new": (1, 1)}
MECHANISMS = {
    "500 new": ["get+batchwrite", "putitem", "transact", "get+transact"],
    "500 twice": ["get+batchwrite", "putitem", "transact", "get+transact"],
    "1 new": ["putitem", "transact"],
}
VALUES = {"temperature": "21.06", "humidity": "52.8", "co2": "530.0", "pressure": "1012.9", "battery": "78.0"}
_serial = itertools.count()


class UnexpectedAnswerError(RuntimeError):
    """DynamoDB Local answered something other than success or 'already stored'."""


def _already_stored(exc: ClientError, code: str) -> None:
    if exc.response["Error"]["Code"] != code:
        raise UnexpectedAnswerError(str(exc)) from exc


def _items(count: int, writer: int) -> list[dict[str, Any]]:
    start = next(_serial) * 1000
    return [
        {
            "sensor_id": {"S": f"sim-room-{(writer * 25 + n) % 200:04d}"},
            "ts": {"S": f"2026-11-25T{start + n:012d}Z"},
            "values": {"M": {metric: {"N": value} for metric, value in VALUES.items()}},
            "expires_at": {"N": "1790000000"},
        }
        for n in range(count)
    ]


def _chunks(items: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass
class Writer:
    """One mechanism's write of a batch, on a shared thread pool (errors other than 'already there'
    would stop the bench: nothing else is expected from DynamoDB Local)."""

    client: DynamoDBClient
    table: str
    pool: ThreadPoolExecutor

    def missing(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        def found(chunk: list[dict[str, Any]]) -> set[str]:
            keys = [{"sensor_id": i["sensor_id"], "ts": i["ts"]} for i in chunk]
            request: Any = {self.table: {"Keys": keys, "ConsistentRead": True}}
            answer = self.client.batch_get_item(RequestItems=request)
            assert not answer.get("UnprocessedKeys")
            return {item["ts"]["S"] for item in answer["Responses"][self.table]}

        stored = set().union(*self.pool.map(found, _chunks(items, 100)))
        return [i for i in items if i["ts"]["S"] not in stored]

    def batch_write(self, items: list[dict[str, Any]]) -> None:
        def write(chunk: list[dict[str, Any]]) -> None:
            request: Any = {self.table: [{"PutRequest": {"Item": i}} for i in chunk]}
            assert not self.client.batch_write_item(RequestItems=request).get("UnprocessedItems")

        list(self.pool.map(write, _chunks(items, 25)))

    def put_items(self, items: list[dict[str, Any]]) -> None:
        def put(item: dict[str, Any]) -> None:
            try:
                self.client.put_item(
                    TableName=self.table,
                    Item=item,
                    ConditionExpression=CONDITION,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as exc:
                _already_stored(exc, "ConditionalCheckFailedException")

        list(self.pool.map(put, items))

    def transact(self, items: list[dict[str, Any]]) -> None:
        def write(chunk: list[dict[str, Any]]) -> None:
            actions: Any = [
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": i,
                        "ConditionExpression": CONDITION,
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
                for i in chunk
            ]
            try:
                self.client.transact_write_items(TransactItems=actions, ClientRequestToken=uuid.uuid4().hex)
            except ClientError as exc:  # every item already there (the second write of a batch)
                _already_stored(exc, "TransactionCanceledException")

        list(self.pool.map(write, _chunks(items, 100)))

    def write(self, mechanism: str, items: list[dict[str, Any]]) -> None:
        if mechanism == "get+batchwrite":
            self.batch_write(self.missing(items))
        elif mechanism == "putitem":
            self.put_items(items)
        elif mechanism == "transact":
            self.transact(items)
        else:
            self.transact(self.missing(items))


@dataclass
class Figures:
    rate: list[float] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    client_us: list[float] = field(default_factory=list)
    dynamodb_us: list[float] = field(default_factory=list)


def _round(writer: Writer, mechanism: str, scenario: str, seconds: float, java: psutil.Process) -> Figures:
    size, times = SCENARIOS[scenario]
    written, latencies, lock = [0], [], threading.Lock()
    end = time.monotonic() + seconds

    def loop(number: int) -> None:
        while time.monotonic() < end:
            items = _items(size, number)
            started = time.monotonic()
            for _ in range(times):
                writer.write(mechanism, items)
            with lock:
                latencies.append((time.monotonic() - started) * 1000)
                written[0] += size

    cpu = _cpu(java)
    client, wall = time.process_time(), time.monotonic()
    threads = [threading.Thread(target=loop, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall, client = time.monotonic() - wall, time.process_time() - client
    count = max(written[0], 1)
    return Figures(
        [written[0] / wall],
        [statistics.median(latencies)],
        [client / count * 1e6],
        [(_cpu(java) - cpu) / count * 1e6],
    )


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def main() -> int:
    parser = argparse.ArgumentParser(description="First-write-wins write mechanisms on DynamoDB Local")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per mechanism and round")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (medians shown)")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds per mechanism first")
    args = parser.parse_args()
    use_fake_credentials()
    results: dict[tuple[str, str], Figures] = {}
    with local_dynamodb("dynamodb-local") as (engine, endpoint):
        java = next(p for p in psutil.Process().children(recursive=True) if "java" in p.name())
        setup = dynamodb_client(endpoint_url=endpoint)
        with latency_proxy(int(endpoint.rsplit(":", 1)[1]), 7.0) as slow:
            client = dynamodb_client(
                endpoint_url=slow, max_attempts=1, retry_mode="standard", max_pool_connections=64
            )
            print(f"{engine} + 7 ms per call; {WRITERS} writers, {THREADS} threads; {args.rounds} rounds")
            with ThreadPoolExecutor(THREADS) as pool:
                cases = [(s, m) for s, names in MECHANISMS.items() for m in names]
                writers: dict[tuple[str, str], Writer] = {}
                for number, case in enumerate(cases):
                    create_table(setup, READINGS, f"mechanism-{number}")
                    writers[case] = Writer(client, f"mechanism-{number}", pool)
                plan: list[tuple[int, float]] = [
                    (-1, args.warmup),
                    *((r, args.seconds) for r in range(args.rounds)),
                ]
                for number, seconds in plan:
                    for scenario, mechanism in cases:
                        figures = _round(writers[scenario, mechanism], mechanism, scenario, seconds, java)
                        if number >= 0:
                            found = results.setdefault((scenario, mechanism), Figures())
                            for name in ("rate", "latency_ms", "client_us", "dynamodb_us"):
                                getattr(found, name).extend(getattr(figures, name))
                    print(f"  {'warm-up' if number < 0 else f'round {number + 1}'} done", flush=True)
    _report(results)
    return 0


def _report(results: dict[tuple[str, str], Figures]) -> None:
    median: Callable[[list[float]], float] = statistics.median
    header = f"{'readings/s':>11}{'ms/write':>10}{'client us':>11}{'DynamoDB us':>13}"
    print(f"\n{'scenario':<11}{'mechanism':<16}{header}")
    for (scenario, mechanism), f in results.items():
        print(
            f"{scenario:<11}{mechanism:<16}{median(f.rate):>11.0f}{median(f.latency_ms):>10.1f}"
            f"{median(f.client_us):>11.0f}{median(f.dynamodb_us):>13.0f}   "
            f"(rounds: {', '.join(f'{r:.0f}' for r in f.rate)})"
        )
    print("\n(client us, DynamoDB us: CPU microseconds per reading in the writers and in DynamoDB Local)")


if __name__ == "__main__":
    raise SystemExit(main())
