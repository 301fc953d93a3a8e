"""The deploy lock is never lost in silence, and history says what went out and when.

- Renewals that fail (the operations table unreachable) are retried; once the lease cannot be confirmed
  the deploy stops before its next AWS change with a clear error, while a second deploy that took the
  expired lock over (and said so) deploys.
- A deploy killed with SIGKILL right after its update call: the next deploy on this host takes its lock
  over at once (its process is gone) and says so, and the history keeps the killed deploy, settled by
  what runs, instead of the next no-op deploy claiming the change as its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import httpx
import pytest
from harness.processes import child, free_port, python

from expressway.aws import local_state, session
from expressway.deploy.deployer import Deployer, Options
from expressway.deploy.fleet import Operator
from expressway.deploy.waiting import HttpProber
from expressway.images.source import GivenImages
from expressway.registry import Registry, load
from expressway.testing import IMAGE, VERSION, FakeService
from localcloud.emulation.testing import create_boundaries, publish_state
from reliability.deploying import INSTANT, emulated_aws
from reliability.figures import Figures

ROOT = Path(__file__).resolve().parents[1]
CHANGES = ("Create", "Put", "Update", "Attach", "Tag", "Register", "Modify", "Delete")
LEASE = 3.0


class Gate(GivenImages):
    """Hands out the image only once the test opens the gate: holds a deploy just before its changes."""

    def __init__(self) -> None:
        super().__init__(IMAGE)
        self.entered, self.open = threading.Event(), threading.Event()

    def image(self, service: str) -> str:
        self.entered.set()
        assert self.open.wait(60)
        return super().image(service)


def _deployer(registry: Registry, said: list[str], images: GivenImages | None = None) -> Deployer:
    prober = HttpProber(httpx.MockTransport(FakeService()), poll=0.0, clock=INSTANT)
    options = Options(poll=0.0, clock=INSTANT, verify_timeout=0.0, propagation_timeout=30.0)
    return Deployer(registry, "prod", images or GivenImages(IMAGE), prober, VERSION, said.append, options)


class Unreachable:
    """The operations table stops answering one lock holder's writes (its renewals), as a network
    partition between that deploy and DynamoDB would; everyone else still gets through."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.refused = 0

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        item = params.get("Item", {})
        lock = item.get("pk", {}).get("S", "").startswith("lock#")
        if lock and self.token is not None and item.get("token", {}).get("S") == self.token:
            self.refused += 1
            raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://dynamodb.eu-west-1")


class ChangesBy:
    """A botocore before-call hook: the AWS changes (not the ledger's records) each thread made."""

    def __init__(self, count: Any) -> None:
        self.count = count
        self.seen: list[tuple[str, str]] = []

    def __call__(self, event_name: str, **kwargs: Any) -> None:
        self.count(event_name, **kwargs)
        _, service, operation = event_name.split(".", 2)
        if operation.startswith(CHANGES) and operation not in ("PutItem", "DeleteItem"):
            self.seen.append((threading.current_thread().name, f"{service}.{operation}"))


def test_a_deploy_whose_renewals_fail_stops_before_its_next_change_and_the_next_deploy_takes_over(
    figures: Figures,
) -> None:
    registry = load(ROOT / "services.toml")
    with emulated_aws(), pytest.MonkeyPatch.context() as patch:
        changes = ChangesBy(session._count)
        patch.setattr(session, "_count", changes)  # expressway keeps counting its calls
        first_said: list[str] = []
        second_said: list[str] = []
        gate = Gate()
        first = Operator(_deployer(registry, first_said, gate), lease=LEASE)
        second = Operator(_deployer(registry, second_said), lease=LEASE)
        unreachable = Unreachable()
        dynamodb = session.client(registry.environment("prod"), "dynamodb")
        dynamodb.meta.events.register("before-parameter-build.dynamodb.PutItem", unreachable)
        with ThreadPoolExecutor(1, thread_name_prefix="first-deploy") as pool:
            running = pool.submit(first.deploy, "sensors")
            assert gate.entered.wait(60)
            lock = boto3.client("dynamodb").get_item(
                TableName="homestack-prod-expressway", Key={"pk": {"S": "lock#sensors"}, "sk": {"S": "lock"}}
            )
            unreachable.token = lock["Item"]["token"]["S"]
            time.sleep(LEASE + 1.0)  # the first deploy's lease has run out in the table
            taken = second.deploy("sensors")
            before = len(changes.seen)
            gate.open.set()
            lost = running.result(60)
        figures.count("faults injected", unreachable.refused)
    assert taken.status == "deployed", taken.detail
    assert any("took over the deploy lock" in line for line in second_said), second_said
    assert lost.status == "failed"
    assert "deploy sensors: lost the deploy lock" in lost.detail, lost.detail
    after_gate = [op for thread, op in changes.seen[before:] if thread.startswith("first-deploy")]
    assert after_gate == [], f"the deploy that lost its lock still changed AWS: {after_gate}"
    assert unreachable.refused >= 2, "renewals were not retried"
    assert any("could not renew the deploy lock" in line for line in first_said), first_said


@pytest.fixture
def emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The Express Mode emulation served on loopback, shared by the deploying processes. It accepts
    any key (the deploy lock is under test here, not IAM): expressway finds the session's state file
    as it would for `expressway dev`, and acts as its developer identity."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    monkeypatch.setenv("EXPRESSWAY_STATE_DIR", str(state))
    monkeypatch.setenv(local_state.IDENTITY_VAR, "developer")
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{url}/moto-api/expressway/config", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    # Real AWS holds its managed policies (a deploy attaches two); no instance needs moto's AMIs.
    tuning = {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true", "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
    argv = [python(), "-m", "localcloud.server", "--port", str(port), "--no-auth"]
    with child(argv, ready=ready, what="emulator", env={**os.environ, **tuning}):
        publish_state(url)
        create_boundaries(load(ROOT / "services.toml"), boto3.client("iam", endpoint_url=url))
        yield url


def _expressway(folder: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    command = [python(), "-c", "from expressway.cli import main; raise SystemExit(main())", *argv]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120, check=False)


def _newest_log_level(url: str) -> str | None:
    ecs = boto3.client("ecs", endpoint_url=url, region_name="eu-west-1")
    arn = "arn:aws:ecs:eu-west-1:123456789012:service/homestack-local/homestack-local-sensors"
    try:
        service: Any = ecs.describe_express_gateway_service(serviceArn=arn)["service"]
    except botocore.exceptions.ClientError:
        return None  # not created yet
    config = max(service["activeConfigurations"], key=lambda c: c["createdAt"])
    env = {e["name"]: e["value"] for e in config["primaryContainer"]["environment"]}
    return env.get("LOG_LEVEL")


def test_a_deploy_killed_after_its_update_is_taken_over_at_once_and_kept_in_history(
    emulator: str, tmp_path: Path, figures: Figures
) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    text = (ROOT / "services.toml").read_text().replace("http://127.0.0.1:4566", emulator)
    (folder / "services.toml").write_text(text)
    deploy = ("deploy", "sensors", "--env", "local", "--no-verify")
    first = _expressway(folder, *deploy)
    assert first.returncode == 0, first.stderr
    (folder / "services.toml").write_text(text.replace('LOG_LEVEL = "info"', 'LOG_LEVEL = "debug"', 1))
    httpx.post(f"{emulator}/moto-api/expressway/config", json={"deployment_seconds": 5.0}).raise_for_status()
    argv = [python(), "-c", "from expressway.cli import main; raise SystemExit(main())", *deploy]
    killed = subprocess.Popen(argv, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while _newest_log_level(emulator) != "debug":  # its update call went out
            assert killed.poll() is None, "the deploy ended before it was killed"
            assert time.monotonic() < deadline, "the deploy never sent its update"
            time.sleep(0.05)
        os.kill(killed.pid, signal.SIGKILL)
    finally:
        killed.kill()
        killed.wait()
    figures.count("faults injected")
    started = time.monotonic()
    again = _expressway(folder, *deploy)
    took = time.monotonic() - started
    assert again.returncode == 0, again.stderr
    assert took < 60, f"the next deploy waited {took:.0f} s (for the dead deploy's lease?)"
    assert f"pid {killed.pid}" in again.stderr
    assert "took over the deploy lock" in again.stderr, again.stderr
    history = _expressway(folder, "history", "sensors", "--env", "local", "--json")
    assert history.returncode == 0, history.stderr
    deploys = json.loads(history.stdout)["deploys"]
    assert [(d["kind"], d["outcome"]) for d in deploys] == [
        ("deploy", "succeeded"),  # the next deploy: nothing left to change
        ("deploy", "interrupted"),  # the killed one, settled by what runs
        ("deploy", "succeeded"),  # the first
    ], deploys
    assert deploys[0]["reason"] == "no-change"
    assert "went out" in deploys[1]["reason"], deploys[1]
    assert deploys[2]["at"] < deploys[1]["at"] < deploys[0]["at"]
    text_history = _expressway(folder, "history", "sensors", "--env", "local")
    assert "interrupted" in text_history.stdout, text_history.stdout
