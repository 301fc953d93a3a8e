"""DynamoDB fault injection for tests: throttling, cancelled transactions, refused items and
UnprocessedKeys on a real (moto) client."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

THROTTLED = "ProvisionedThroughputExceededException"
CANCELLED = "TransactionCanceledException"
INVALID = "ValidationException"


class Faults:
    """Make one boto3 DynamoDB client misbehave the way a busy table does, through botocore event hooks.

    Everything not faulted goes to the real backend, so what the client reports as written really is.
    """

    def __init__(self, client: DynamoDBClient) -> None:
        self._lock = threading.Lock()
        self._throttles: Counter[str] = Counter()
        self._cancelled_calls = 0
        self._unprocessed_reads = 0
        self._refused_sensors: set[str] = set()
        self._rejected_sensors: set[str] = set()
        self._refused_snapshots: set[str] = set()
        self._delays: dict[str, float] = {}
        self.calls: Counter[str] = Counter()
        events = client.meta.events
        events.register("before-parameter-build.dynamodb.*", self._before_build)
        events.register("before-call.dynamodb.*", self._before_call)  # type: ignore[arg-type]
        events.register("after-call.dynamodb.BatchGetItem", self._after_batch_get)

    def throttle(self, operation: str, times: int) -> None:
        """The next `times` calls of `operation` (e.g. "BatchWriteItem") fail as throttled."""
        with self._lock:
            self._throttles[operation] += times

    def cancel_transactions(self, times: int) -> None:
        """The next `times` TransactWriteItems calls are cancelled, the second half of their items in a
        TransactionConflict (what two writers of the same items at once get): nothing is written."""
        with self._lock:
            self._cancelled_calls += times

    def leave_keys_unprocessed(self, times: int) -> None:
        """The next `times` BatchGetItem calls read only the first half of their keys, rounded down (per
        table): a lone key is never read, the way a throttled partition answers."""
        with self._lock:
            self._unprocessed_reads += times

    def delay(self, operation: str, seconds: float) -> None:
        """Every later call of `operation` takes `seconds` longer (a slow network or a hot partition)."""
        with self._lock:
            self._delays[operation] = seconds

    def refuse(self, sensor_ids: Iterable[str]) -> None:
        """Writes of these sensors' readings always fail in a way a retry could get past: a transaction
        with them is cancelled by a TransactionConflict on them, a PutItem of one is throttled."""
        with self._lock:
            self._refused_sensors |= set(sensor_ids)

    def reject(self, sensor_ids: Iterable[str]) -> None:
        """A write (transaction or PutItem) with readings of these sensors fails as a whole with a
        ValidationException, as DynamoDB answers a number it cannot store: no retry gets past it."""
        with self._lock:
            self._rejected_sensors |= set(sensor_ids)

    def refuse_snapshots(self, sensor_ids: Iterable[str]) -> None:
        """Snapshot updates of these sensors are always throttled."""
        with self._lock:
            self._refused_snapshots |= set(sensor_ids)

    # -- hooks --------------------------------------------------------------------------------------

    def _before_build(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        operation = model.name
        with self._lock:
            self.calls[operation] += 1
            context["delay"] = self._delays.get(operation, 0.0)
            if self._throttles[operation] > 0:
                self._throttles[operation] -= 1
                context["fault"] = THROTTLED
                return
            if operation == "UpdateItem" and params["Key"]["sensor_id"]["S"] in self._refused_snapshots:
                context["fault"] = THROTTLED
                return
            if operation == "BatchGetItem" and self._unprocessed_reads > 0:
                self._unprocessed_reads -= 1
                asked, held_keys = {}, {}
                for table, request in params["RequestItems"].items():
                    keys = request["Keys"]
                    held_keys[table] = {**request, "Keys": keys[len(keys) // 2 :]}
                    if keys[: len(keys) // 2]:
                        asked[table] = {**request, "Keys": keys[: len(keys) // 2]}
                context["held_keys"] = held_keys
                if asked:
                    params["RequestItems"] = asked
                else:
                    context["fault"] = "all-held"  # one key each: answer "unprocessed" without a call
                return
            if operation == "PutItem":
                if params["Item"]["sensor_id"]["S"] in self._rejected_sensors:
                    context["fault"] = INVALID
                elif params["Item"]["sensor_id"]["S"] in self._refused_sensors:
                    context["fault"] = THROTTLED
                return
            if operation != "TransactWriteItems":
                return
            sensors = [action["Put"]["Item"]["sensor_id"]["S"] for action in params["TransactItems"]]
            if self._rejected_sensors.intersection(sensors):
                context["fault"] = INVALID
                return
            halve = self._cancelled_calls > 0
            if halve:
                self._cancelled_calls -= 1
            refused = set(self._refused_sensors)
        conflicted = [
            sensor in refused or (halve and n >= len(sensors) // 2) for n, sensor in enumerate(sensors)
        ]
        if any(conflicted):
            context["fault"] = CANCELLED
            context["reasons"] = [
                {"Code": "TransactionConflict", "Message": "injected: conflict with another transaction"}
                if hit
                else {"Code": "None"}
                for hit in conflicted
            ]

    def _before_call(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if context.get("delay"):
            time.sleep(context["delay"])
        fault = context.get("fault")
        if fault == THROTTLED:
            error = {"Code": THROTTLED, "Message": "injected: configured throughput was exceeded"}
            return _response(400), {"Error": error}
        if fault == CANCELLED:
            error = {"Code": CANCELLED, "Message": "injected: transaction cancelled, see the reasons"}
            return _response(400), {"Error": error, "CancellationReasons": context["reasons"]}
        if fault == INVALID:
            error = {"Code": INVALID, "Message": "injected: a number the table cannot store"}
            return _response(400), {"Error": error}
        if fault == "all-held":
            return _response(200), {}
        return None

    def _after_batch_get(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        held: dict[str, dict[str, Any]] = context.get("held_keys") or {}
        if "Error" in parsed:
            return
        unprocessed = parsed.setdefault("UnprocessedKeys", {})
        for table, request in held.items():
            if request["Keys"]:
                unprocessed[table] = request


def _response(status: int) -> AWSResponse:
    return AWSResponse("https://dynamodb.invalid/", status, HTTPHeaders(), None)


_MOTO_WRITES = threading.Lock()
_WRITES = ("TransactWriteItems", "PutItem", "BatchWriteItem", "DeleteItem")


def one_write_at_a_time(client: DynamoDBClient) -> None:
    """Make `client`'s item writes wait for each other, for in-process moto only: moto 5.2 copies the
    whole table at the start of each TransactWriteItems without a lock, and a write from another
    thread changing the table mid-copy fails it with a RuntimeError. DynamoDB (and DynamoDB Local)
    need no such thing."""
    events = client.meta.events

    def hold(event_name: str, **_: Any) -> None:
        if event_name.rsplit(".", 1)[-1] in _WRITES:
            _MOTO_WRITES.acquire()

    def release(event_name: str, **_: Any) -> None:
        if event_name.rsplit(".", 1)[-1] in _WRITES:
            _MOTO_WRITES.release()

    # On the wildcard, like Faults' hooks, and first: before any hook that answers in DynamoDB's place.
    events.register_first("before-call.dynamodb.*", hold, unique_id="moto-writes-hold")
    events.register("after-call.dynamodb.*", release, unique_id="moto-writes-done")
    events.register("after-call-error.dynamodb.*", release, unique_id="moto-writes-error")


@contextlib.contextmanager
def silent_endpoint() -> Iterator[str]:
    """A DynamoDB that hangs: a loopback TCP server that accepts every connection, reads what is sent
    and never answers. Yields its URL, for `endpoint_url` or AWS_ENDPOINT_URL_DYNAMODB."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=256)
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def drain(conn: socket.socket) -> None:
        conn.settimeout(0.1)
        with contextlib.suppress(OSError):
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    if not conn.recv(65536):
                        return

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                conn, _ = listener.accept()
                held.append(conn)
                threading.Thread(target=drain, args=(conn,), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        acceptor.join(5)
        for conn in held:
            conn.close()
        listener.close()
