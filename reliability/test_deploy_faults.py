"""Deploy faults on the Express Mode emulation: throttling past the first retries, IAM propagation errors,
a crash before each AWS change in turn followed by a re-run (converges, nothing duplicated, nothing
orphaned), a deployment that rolls back (reason shown, old revision kept), and Ctrl-C during the wait."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from expressway.aws import session
from expressway.deploy.waiting import Clock
from expressway.errors import DeployError
from expressway.registry import Registry, load
from localcloud.emulation import faults
from reliability.deploying import deployer, emulated_aws, inventory
from reliability.figures import Figures

ROOT = Path(__file__).resolve().parents[1]
CHANGES = ("Create", "Put", "Update", "Attach", "Tag", "Register", "Modify", "Delete")


class Crash(BaseException):
    """The deploying process dies here (a kill, a lost laptop lid): no except clause catches it."""


class CrashBeforeChange:
    """A botocore before-call hook: counts as expressway does, and crashes before change number n."""

    def __init__(self, count: Callable[..., None], crash_at: int) -> None:
        self.count, self.crash_at, self.seen = count, crash_at, 0

    def __call__(self, event_name: str, **kwargs: Any) -> None:
        self.count(event_name, **kwargs)
        if event_name.split(".")[2].startswith(CHANGES):
            self.seen += 1
            if self.seen == self.crash_at + 1:
                raise Crash(event_name)


@pytest.fixture
def registry() -> Registry:
    return load(ROOT / "services.toml")


@pytest.fixture
def aws() -> Iterator[None]:
    with emulated_aws():
        yield


def _changes() -> list[str]:
    return [op for op in session.calls if op.split(":", 1)[1].startswith(CHANGES)]


def _service(name: str = "homestack-prod-sensors") -> dict[str, Any]:
    ecs = boto3.client("ecs")
    arn = ecs.list_services(cluster="homestack-prod")["serviceArns"][0]
    assert arn.endswith(name)
    return dict(ecs.describe_express_gateway_service(serviceArn=arn)["service"])


def _deployment_status(arn: str) -> str:
    """The deployment's status; ECS may not report a new deployment for a moment (MISSING)."""
    for _ in range(50):
        found = boto3.client("ecs").describe_service_deployments(serviceDeploymentArns=[arn])
        if found["serviceDeployments"]:
            return str(found["serviceDeployments"][0]["status"])
        time.sleep(0.1)
    raise AssertionError(f"ECS never reported deployment {arn}")


@pytest.mark.usefixtures("aws")
def test_throttling_past_the_first_retries_and_iam_propagation_still_deploy(
    registry: Registry, figures: Figures
) -> None:
    faults.throttle(times=4, operation="CreateExpressGatewayService")  # beyond standard mode's 3 attempts
    faults.iam_propagation(calls=2, kind="access_denied")
    said: list[str] = []
    assert deployer(registry, said).deploy("sensors").action == "create"
    faults.iam_propagation(calls=2, kind="credentials")
    faults.throttle(times=3)
    assert deployer(registry, said).deploy("ingest").action == "create"
    assert any("IAM propagation" in line for line in said)
    figures.count("faults injected", 4 + 2 + 2 + 3)
    assert deployer(registry).deploy("sensors").action == "no-change"


def test_a_crash_before_each_aws_change_in_turn_then_a_rerun_converges_with_nothing_duplicated(
    registry: Registry, figures: Figures
) -> None:
    with emulated_aws():
        deployer(registry).deploy("sensors")
        clean = inventory("sensors")
        steps = _changes()
    assert len(steps) >= 5, steps  # roles, policies, table, log group, service at least
    converged = 0
    for crash_at in range(len(steps)):
        with emulated_aws(), pytest.MonkeyPatch.context() as patch:
            hook = CrashBeforeChange(session._count, crash_at)  # expressway keeps counting its calls
            patch.setattr(session, "_count", hook)
            with pytest.raises(Crash):
                deployer(registry).deploy("sensors")
            patch.undo()
            session.reset()
            said: list[str] = []
            outcome = deployer(registry, said).deploy("sensors")
            assert outcome.action in ("create", "update", "no-change"), (crash_at, outcome)
            assert inventory("sensors") == clean, f"crash before {steps[crash_at]}"
            assert deployer(registry).deploy("sensors").action == "no-change"
            converged += 1
    figures.count("faults injected", converged)
    figures.note(
        f"deploy crashed before each of its {len(steps)} AWS changes in turn: {converged} re-runs converged"
    )
    assert converged == len(steps)


@pytest.mark.usefixtures("aws")
def test_a_deployment_that_rolls_back_fails_with_its_reason_and_the_old_revision_keeps_serving(
    registry: Registry, figures: Figures
) -> None:
    deployer(registry).deploy("sensors")
    before = _service()["activeConfigurations"]
    reason = "circuit breaker: tasks failed health checks"
    faults.fail_next_deployment(
        "homestack-prod-sensors", reason="circuit breaker: tasks failed health checks"
    )
    changed = load(ROOT / "services.toml").model_copy(
        update={
            "services": {
                **registry.services,
                "sensors": registry.services["sensors"].model_copy(update={"cpu": 2048, "memory": 4096}),
            }
        }
    )
    with pytest.raises(DeployError) as caught:
        deployer(changed).deploy("sensors")
    figures.count("faults injected")
    assert "ROLLBACK" in str(caught.value)
    assert reason in str(caught.value)
    after = _service()
    assert after["status"]["statusCode"] == "ACTIVE"
    newest = max(after["activeConfigurations"], key=lambda c: c["createdAt"])
    assert (newest["cpu"], newest["memory"]) == ("1024", "2048")
    assert len(after["activeConfigurations"]) == len(before)


@pytest.mark.usefixtures("aws")
def test_ctrl_c_during_the_wait_leaves_the_deploy_running_and_a_rerun_picks_up_the_wait(
    registry: Registry, figures: Figures
) -> None:
    faults.delay_provisioning(2.0, service="homestack-prod-sensors")

    def interrupted(_: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        deployer(registry, clock=Clock(sleep=interrupted)).deploy("sensors")
    figures.count("faults injected")
    interrupted_deployment = _service()["currentDeployment"]
    # Ctrl-C did not stop the deploy
    assert _deployment_status(interrupted_deployment) in ("PENDING", "IN_PROGRESS")
    said: list[str] = []
    outcome = deployer(registry, said, clock=Clock()).deploy("sensors")  # real sleeps: waits out the delay
    assert outcome.action == "no-change"
    assert any("SUCCESSFUL" in line for line in said), said
    # The re-run waited for the very deployment the interrupted run started; it started none of its own.
    assert _service()["currentDeployment"] == interrupted_deployment
    assert _deployment_status(interrupted_deployment) == "SUCCESSFUL"
    assert len(boto3.client("ecs").list_services(cluster="homestack-prod")["serviceArns"]) == 1
