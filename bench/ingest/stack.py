"""Run: `python -m bench.ingest.stack`. What one POST /readings of 500 readings costs ingest, in process.

The load benchmark (`python -m bench.ingest`) measures whole requests over HTTP against DynamoDB Local,
where DynamoDB Local, uvicorn and the simulator share two cores and figures move from run to run. This
drives the real app directly (no server, no socket), its DynamoDB client answered by a stub at the HTTP
layer (botocore still validates, serializes and signs every call), and counts per request:

- Python function calls in every thread (the same on every run of the same code), and
- CPU milliseconds (the least of interleaved rounds: noise only ever adds time).

Rows: the write of 500 new readings (5 sensors' backlogs, as the simulator sends them), and the same
request again, every reading now a duplicate (the stub says every item is already stored).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

KEY = "bench-stack-key-0123456789"
READINGS = 500


class _Body:
    """What botocore reads an HTTP response body from (urllib3's `stream`)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
        yield self.data


class StubDynamoDB:
    """Answers every call at the HTTP layer: success, or (`duplicates`) every conditional put failed."""

    def __init__(self) -> None:
        self.duplicates = False

    def answer(self, request: Any, **_: Any) -> AWSResponse:
        target = request.headers.get("X-Amz-Target", b"")
        operation = (target.decode() if isinstance(target, bytes) else target).rsplit(".", 1)[-1]
        body: dict[str, Any] = {}
        status = 200
        if self.duplicates and operation == "TransactWriteItems":
            items = json.loads(request.body)["TransactItems"]
            status = 400
            body = {
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "message": "Transaction cancelled",
                "CancellationReasons": [
                    {"Code": "ConditionalCheckFailed", "Item": item["Put"]["Item"]} for item in items
                ],
            }
        headers = HTTPHeaders()
        headers["x-amzn-RequestId"] = "stub"
        return AWSResponse("https://dynamodb.invalid/", status, headers, _Body(json.dumps(body).encode()))


def _body() -> bytes:
    from homestack_ingest.simulated_sensors import backlog, make_sensors

    sensors = make_sensors(5)
    chunks = backlog(sensors, datetime.now(UTC) - timedelta(days=2), 60, READINGS // 5)
    readings = [r for _ in range(5) for r in next(chunks)]
    return json.dumps({"readings": readings}).encode()


async def _post(app: Any, body: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/readings",
        "raw_path": b"/readings",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"authorization", f"Bearer {KEY}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


class CallCounter:
    """Counts Python function calls in every thread started after it is set."""

    def __init__(self) -> None:
        self.calls = 0
        self.on = False

    def __call__(self, _frame: FrameType, event: str, _arg: Any) -> None:
        if self.on and event == "call":
            self.calls += 1


CASES = {"500 new readings": False, "500 duplicates": True}


async def _session(requests: int, rounds: int, counter: CallCounter | None) -> dict[str, list[float]]:
    """One life of the app (its lifespan, threadpools and client): per case, calls per request when
    `counter` is given, else the CPU milliseconds per request of each of `rounds` interleaved rounds."""
    from homestack_ingest.app import app

    stub = StubDynamoDB()
    body = _body()
    found: dict[str, list[float]] = {name: [] for name in CASES}
    async with app.router.lifespan_context(app):
        app.state.ingest.client.meta.events.register_first("before-send.dynamodb", stub.answer)
        for duplicates in CASES.values():  # warm up: imports, caches, compiled expressions
            stub.duplicates = duplicates
            for _ in range(10):
                assert await _post(app, body) == 200
        for _ in range(1 if counter else rounds):
            for name, duplicates in CASES.items():
                stub.duplicates = duplicates
                started = time.process_time()
                if counter:
                    counter.calls, counter.on = 0, True
                for _ in range(requests):
                    await _post(app, body)
                if counter:
                    counter.on = False
                    found[name].append(counter.calls / requests)
                else:
                    found[name].append((time.process_time() - started) / requests * 1000)
    return found


def _run(args: argparse.Namespace) -> int:
    os.environ.update(
        {
            "AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_ENDPOINT_URL_DYNAMODB": "http://dynamodb.invalid",
            "INGEST_API_KEY": KEY,
            "APP_VERSION": "bench",
            "LOG_LEVEL": "warning",
        }
    )
    from homestack_common import configure_logging

    configure_logging("ingest", "warning", "json", stream=open(os.devnull, "w"))  # noqa: SIM115
    cpu = asyncio.run(_session(args.requests, args.rounds, None))
    counter = CallCounter()
    # A new event loop and a new lifespan start new threads, and each new thread takes the counter.
    threading.setprofile(counter)
    sys.setprofile(counter)
    try:
        calls = asyncio.run(_session(args.requests, 1, counter))
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    print(f"{args.requests} requests per measurement, CPU: least of {args.rounds} interleaved rounds\n")
    header = f"{'calls/req':>10}{'calls/reading':>15}{'CPU ms/req':>12}{'CPU us/reading':>16}"
    print(f"{'POST /readings':<22}{header}")
    for name in CASES:
        best = min(cpu[name])
        per_request = calls[name][0]
        print(
            f"{name:<22}{per_request:>10.0f}{per_request / READINGS:>15.1f}{best:>12.2f}"
            f"{best * 1000 / READINGS:>16.1f}"
        )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Per-request cost of POST /readings, in process")
    parser.add_argument("--requests", type=int, default=40, help="requests per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved CPU-time rounds (least shown)")
    return _run(parser.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
