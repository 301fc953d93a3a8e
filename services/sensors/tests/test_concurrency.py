"""The read path never blocks the event loop, caches snapshots briefly and coalesces concurrent misses."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from conftest import Start, Tables

DELAY = 0.3


class SlowDynamoDB:
    """A botocore hook on the app's own client: counts GetItem calls and makes each take DELAY seconds."""

    def __init__(self, api: TestClient) -> None:
        self.calls = 0
        self._lock = threading.Lock()
        api.app.state.reader.store.client.meta.events.register("before-call.dynamodb.GetItem", self)  # type: ignore[attr-defined]

    def __call__(self, **_: Any) -> None:
        with self._lock:
            self.calls += 1
        time.sleep(DELAY)


def _get_all(api: TestClient, paths: list[str]) -> list[int]:
    with ThreadPoolExecutor(len(paths)) as pool:
        return [r.status_code for r in pool.map(api.get, paths)]


def test_slow_dynamodb_calls_do_not_stall_other_requests(aws: Tables, api: TestClient) -> None:
    for i in range(8):
        aws.sensor(f"s-{i}")
    slow = SlowDynamoDB(api)
    with ThreadPoolExecutor(1) as background:
        started = time.perf_counter()
        pending = background.submit(_get_all, api, [f"/sensors/s-{i}" for i in range(8)])
        time.sleep(DELAY / 3)  # the slow calls are now in flight
        health_started = time.perf_counter()
        assert api.get("/health").status_code == 200
        health_took = time.perf_counter() - health_started
        assert pending.result() == [200] * 8
        all_took = time.perf_counter() - started
    assert slow.calls == 8
    # Blocking handlers would queue /health behind the calls in flight and run the 8 calls one by one.
    assert health_took < DELAY / 2
    assert all_took < 3 * DELAY


def test_concurrent_misses_for_one_sensor_make_one_dynamodb_call(aws: Tables, start: Start) -> None:
    aws.sensor("kitchen-1")
    with start(cache_ttl=2) as api:
        slow = SlowDynamoDB(api)
        assert _get_all(api, ["/sensors/kitchen-1"] * 16) == [200] * 16
        assert slow.calls == 1
        assert _get_all(api, ["/sensors/kitchen-1", "/sensors/ghost", "/sensors/ghost"]) == [200, 404, 404]
        assert slow.calls == 2


def test_a_cached_snapshot_is_served_until_the_ttl_passes(aws: Tables, start: Start) -> None:
    aws.sensor("kitchen-1", 20.0)
    with start(cache_ttl=0.5) as api:
        assert api.get("/sensors/kitchen-1").json()["values"] == {"temperature": 20.0}
        aws.sensor("kitchen-1", 25.0)
        assert api.get("/sensors/kitchen-1").json()["values"] == {"temperature": 20.0}
        time.sleep(0.6)
        assert api.get("/sensors/kitchen-1").json()["values"] == {"temperature": 25.0}


def test_with_the_cache_off_every_request_sees_the_table(aws: Tables, api: TestClient) -> None:
    aws.sensor("kitchen-1", 20.0)
    assert api.get("/sensors/kitchen-1").json()["values"] == {"temperature": 20.0}
    aws.sensor("kitchen-1", 25.0)
    assert api.get("/sensors/kitchen-1").json()["values"] == {"temperature": 25.0}
