"""DynamoDB fault injection for tests: throttling, UnprocessedItems and UnprocessedKeys on a real (moto)
client."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

THROTTLED = "ProvisionedThroughputExceededException"


class Faults:
    """Make one boto3 DynamoDB client misbehave the way a busy table does, through botocore event hooks.

    Everything not faulted goes to the real backend, so what the client reports as written really is.
    """

    def __init__(self, client: DynamoDBClient) -> None:
        self._lock = threading.Lock()
        self._throttles: Counter[str] = Counter()
        self._unprocessed_calls = 0
        self._unprocessed_reads = 0
        self._refused_sensors: set[str] = set()
        self._refused_snapshots: set[str] = set()
        self._delays: dict[str, float] = {}
        self.calls: Counter[str] = Counter()
        events = client.meta.events
        events.register("before-parameter-build.dynamodb.*", self._before_build)
        events.register("before-call.dynamodb.*", self._before_call)  # type: ignore[arg-type]
        events.register("after-call.dynamodb.BatchWriteItem", self._after_batch_write)
        events.register("after-call.dynamodb.BatchGetItem", self._after_batch_get)

    def throttle(self, operation: str, times: int) -> None:
        """The next `times` calls of `operation` (e.g. "BatchWriteItem") fail as throttled."""
        with self._lock:
            self._throttles[operation] += times

    def leave_unprocessed(self, times: int) -> None:
        """The next `times` BatchWriteItem calls write only the first half of their items."""
        with self._lock:
            self._unprocessed_calls += times

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
        """Readings of these sensors are always returned unprocessed (a persistent failure)."""
        with self._lock:
            self._refused_sensors |= set(sensor_ids)

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
            if operation != "BatchWriteItem":
                return
            halve = self._unprocessed_calls > 0
            if halve:
                self._unprocessed_calls -= 1
            refused = set(self._refused_sensors)
        kept: dict[str, list[Any]] = {}
        held: dict[str, list[Any]] = {}
        for table, requests in params["RequestItems"].items():
            keep = [r for r in requests if _sensor(r) not in refused]
            hold = [r for r in requests if _sensor(r) in refused]
            if halve:
                hold += keep[len(keep) // 2 :]
                keep = keep[: len(keep) // 2]
            if keep:
                kept[table] = keep
            if hold:
                held[table] = hold
        context["held"] = held
        if kept:
            params["RequestItems"] = kept
        else:
            context["fault"] = "all-held"  # nothing left to send: answer without calling the backend

    def _before_call(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if context.get("delay"):
            time.sleep(context["delay"])
        fault = context.get("fault")
        if fault == THROTTLED:
            error = {"Code": THROTTLED, "Message": "injected: configured throughput was exceeded"}
            return _response(400), {"Error": error}
        if fault == "all-held":
            return _response(200), {}
        return None

    def _after_batch_write(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        held: dict[str, list[Any]] = context.get("held") or {}
        if "Error" in parsed:
            return
        unprocessed = parsed.setdefault("UnprocessedItems", {})
        for table, requests in held.items():
            unprocessed.setdefault(table, []).extend(requests)

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


def _sensor(request: dict[str, Any]) -> str:
    return str(request["PutRequest"]["Item"]["sensor_id"]["S"])
