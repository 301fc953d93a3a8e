"""Deploy locks in DynamoDB: one deploy per service at a time, the holder named, crashed locks expire,
dead holders on this host are taken over at once, and a lock whose lease cannot be confirmed is lost
aloud (renewals are retried first)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import botocore.exceptions
import pytest

from expressway.aws import session
from expressway.aws.ledger import Ledger
from expressway.deploy.fleet import Operator
from expressway.deploy.lock import HOST, DeployLock
from expressway.deploy.waiting import Clock
from expressway.errors import DeployError
from expressway.images.source import GivenImages
from expressway.registry import Registry
from expressway.registry.names import Names
from expressway.testing import IMAGE

from .conftest import MakeDeployer


class Wall:
    """A wall clock the test moves by hand (lease expiry)."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _ledger(reg: Registry) -> Ledger:
    return Ledger(reg.environment("prod"), Names.of(reg, "prod"))


def test_a_held_lock_refuses_a_second_holder_and_names_the_first(aws: None, reg: Registry) -> None:
    wall = Wall()
    first = DeployLock(_ledger(reg), "sensors", "arn:aws:iam::1:user/ana on ci-1 pid 7", wall=wall)
    second = DeployLock(_ledger(reg), "sensors", "arn:aws:iam::1:user/bo on laptop pid 9", wall=wall)
    first.acquire()
    with pytest.raises(DeployError) as caught:
        second.acquire()
    assert str(caught.value) == (
        "deploy sensors: locked: arn:aws:iam::1:user/ana on ci-1 pid 7 has been deploying it since "
        "1970-01-12T13:46:40+00:00"
    )
    assert caught.value.hint is not None
    assert "--lock-wait" in caught.value.hint
    DeployLock(_ledger(reg), "ingest", "bo", wall=wall).acquire()  # other services are not blocked


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_release_it(
    aws: None, reg: Registry
) -> None:
    wall = Wall()
    crashed = DeployLock(_ledger(reg), "sensors", "crashed deploy", lease=60, wall=wall)
    crashed.acquire()
    wall.now += 59
    with pytest.raises(DeployError, match="crashed deploy"):
        DeployLock(_ledger(reg), "sensors", "next deploy", wall=wall).acquire()
    wall.now += 2
    successor = DeployLock(_ledger(reg), "sensors", "next deploy", wall=wall)
    successor.acquire()
    assert not crashed.renew()
    crashed.release()
    held = successor.holder()
    assert held is not None
    assert held.who == "next deploy"


def test_release_frees_the_lock_and_waiting_gets_it_once_free(aws: None, reg: Registry) -> None:
    first = DeployLock(_ledger(reg), "sensors", "first")
    first.acquire()
    waiter = DeployLock(_ledger(reg), "sensors", "second", clock=Clock())
    said: list[str] = []
    timer = threading.Timer(0.3, first.release)
    timer.start()
    waiter.acquire(wait=10, poll=0.05, say=said.append)
    timer.join()
    assert said == [f"sensors: waiting for the deploy lock held by first since {first.holder_since}"]
    held = waiter.holder()
    assert held is not None
    assert held.who == "second"


class Gate(GivenImages):
    """Images that are handed out only once the test opens the gate: holds a deploy mid-way."""

    def __init__(self) -> None:
        super().__init__(IMAGE)
        self.entered = threading.Event()
        self.open = threading.Event()

    def image(self, service: str) -> str:
        self.entered.set()
        assert self.open.wait(30)
        return super().image(service)


def test_two_concurrent_deploys_of_one_service_run_one_and_name_its_holder(
    aws: None, reg: Registry, deployer_for: MakeDeployer
) -> None:
    gate = Gate()
    holding = Operator(deployer_for(reg, images=gate))
    second = Operator(deployer_for(reg))
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(holding.deploy, "sensors")
        assert gate.entered.wait(30)
        refused = second.deploy("sensors")
        gate.open.set()
        done = running.result(60)
    assert done.status == "deployed", done.detail
    assert refused.status == "failed"
    assert refused.detail.startswith("deploy sensors: locked: arn:aws:sts::123456789012:")
    assert " has been deploying it since " in refused.detail
    # the refused deploy changed nothing and recorded nothing; the lock is free again
    assert [r.outcome for r in holding.history.records("sensors")] == ["succeeded"]
    assert second.deploy("sensors").status == "no-change"


def test_a_running_deploy_keeps_its_lock_past_one_lease_and_frees_it_after(aws: None, reg: Registry) -> None:
    ledger = _ledger(reg)
    with DeployLock(ledger, "sensors", "long deploy", lease=1.5).held():
        time.sleep(2.5)  # past the first lease: the heartbeat has renewed it
        with pytest.raises(DeployError, match="long deploy"):
            DeployLock(ledger, "sensors", "impatient").acquire()
    assert DeployLock(ledger, "sensors", "impatient").try_acquire()


class FailingRenewals:
    """The operations table refuses the writes of one lock holder (its renewals) `times` times, as a
    network partition would; every other write goes through."""

    def __init__(self, lock: DeployLock, times: int) -> None:
        self.token, self.left, self.refused = lock.token, times, 0

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        item = params.get("Item", {})
        ours = (
            item.get("pk", {}).get("S", "").startswith("lock#")
            and item.get("token", {}).get("S") == self.token
        )
        if ours and self.left > 0:
            self.left -= 1
            self.refused += 1
            raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://dynamodb.eu-west-1")


def _failing(reg: Registry, lock: DeployLock, times: int) -> FailingRenewals:
    hook = FailingRenewals(lock, times)
    dynamodb = session.client(reg.environment("prod"), "dynamodb")
    dynamodb.meta.events.register("before-parameter-build.dynamodb.PutItem", hook)
    return hook


def test_a_failed_renewal_is_retried_and_the_lock_kept(aws: None, reg: Registry) -> None:
    ledger = _ledger(reg)
    said: list[str] = []
    lock = DeployLock(ledger, "sensors", "long deploy", lease=2.4)
    with lock.held(say=said.append):
        hook = _failing(reg, lock, times=2)
        time.sleep(3.0)  # past the lease: only the retried renewals kept it
        lock.confirm()
        with pytest.raises(DeployError, match="long deploy"):
            DeployLock(ledger, "sensors", "impatient").acquire()
    assert hook.refused == 2
    assert said[0].startswith("sensors: could not renew the deploy lock (write {'S': 'lock#sensors'} to ")
    assert said[0].endswith("cannot reach https://dynamodb.eu-west-1); retrying")
    assert said[1:] == ["sensors: renewed the deploy lock again"]


def test_renewals_that_keep_failing_lose_the_lock_before_its_lease_ends(aws: None, reg: Registry) -> None:
    said: list[str] = []
    lock = DeployLock(_ledger(reg), "sensors", "cut off", lease=4.0)
    with lock.held(say=said.append):
        _failing(reg, lock, times=1000)
        lock.confirm()  # the first renewal has not even been tried yet
        time.sleep(4.0 * 0.75 + 0.2)
        with pytest.raises(DeployError) as caught:
            lock.confirm()
        holder = lock.holder()
        assert holder is not None
        assert holder.expires > time.time(), "the lease still runs in the table: nobody could take it yet"
    assert str(caught.value).startswith("deploy sensors: lost the deploy lock: ")
    assert str(caught.value).endswith("; stopped before its next AWS change")
    assert caught.value.hint is not None
    assert "expressway history sensors" in caught.value.hint
    assert said[-1].startswith("sensors: lost the deploy lock: renewals failed for 3.0s (last: write")


def test_a_lock_taken_over_under_a_running_deploy_is_reported_lost(aws: None, reg: Registry) -> None:
    said: list[str] = []
    lock = DeployLock(_ledger(reg), "sensors", "slow deploy", lease=1.2)
    with lock.held(say=said.append):
        ahead = Wall(time.time() + 3600)  # a host whose clock runs an hour ahead sees the lease expired
        successor: list[str] = []
        assert DeployLock(_ledger(reg), "sensors", "next deploy", wall=ahead).try_acquire(successor.append)
        deadline = time.monotonic() + 10
        while not said and time.monotonic() < deadline:  # the next renewal finds the lock gone
            time.sleep(0.05)
        with pytest.raises(DeployError, match="its lease ran out and another deploy took it over"):
            lock.confirm()
    assert said == [
        "sensors: lost the deploy lock: its lease ran out and another deploy took it over; "
        "no further AWS change will be made"
    ]
    assert successor[0].startswith("sensors: took over the deploy lock of slow deploy (since ")
    assert "): its lease ran out at " in successor[0]


def _dead_pid() -> int:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


def _held_by(reg: Registry, pid: int, host: str) -> None:
    """The lock item a deploy of process `pid` on `host` wrote (its lease runs for an hour)."""
    gone = DeployLock(_ledger(reg), "sensors", f"arn:aws:iam::1:user/ana on box pid {pid}", lease=3600)
    item = gone._item("2026-11-26T10:00:00+00:00")
    item.update({"pid": {"N": str(pid)}, "host": {"S": host}})
    assert _ledger(reg).put(item)


def test_a_holder_on_this_host_whose_process_is_gone_is_taken_over_at_once(aws: None, reg: Registry) -> None:
    pid = _dead_pid()
    _held_by(reg, pid, HOST)
    said: list[str] = []
    DeployLock(_ledger(reg), "sensors", "next deploy").acquire(say=said.append)
    assert said == [
        f"sensors: took over the deploy lock of arn:aws:iam::1:user/ana on box pid {pid} "
        f"(since 2026-11-26T10:00:00+00:00): its process {pid} on this host is gone"
    ]


@pytest.mark.parametrize("where", ["another host", "this host, alive"])
def test_a_holder_elsewhere_or_alive_keeps_its_lock(aws: None, reg: Registry, where: str) -> None:
    pid, host = (_dead_pid(), f"{HOST} elsewhere") if where == "another host" else (os.getpid(), HOST)
    _held_by(reg, pid, host)
    with pytest.raises(DeployError, match=f"locked: arn:aws:iam::1:user/ana on box pid {pid} has been"):
        DeployLock(_ledger(reg), "sensors", "next deploy").acquire()
