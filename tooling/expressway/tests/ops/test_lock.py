"""Deploy locks in DynamoDB: one deploy per service at a time, the holder named, crashed locks expire."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from expressway.aws.ledger import Ledger
from expressway.deploy.fleet import Operator
from expressway.deploy.lock import DeployLock
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
