"""The agent runs the emulator's tasks as processes and the emulator decides deployments by their health:
a deployment succeeds only once its tasks pass their health check, and otherwise rolls back (the old
tasks keep serving) with the reason readable through the API; a task starts from its revision's source
snapshot with its secrets (read as the execution role) and its task role's credentials, its output
goes to its log stream, a task that dies is replaced, and environment names that would change the
host are refused."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from localcloud.emulation.testing import TRUST, EmulatedAws
from localcloud.runtime.agent import Agent, Timing
from localcloud.runtime.control import Control

from .conftest import APPS

pytestmark = pytest.mark.anyio
FAST = Timing(poll=0.1, health_every=0.1, health_grace=15, recheck=0.3, drain=0.3, stop_grace=5, flush=0.2)
IMAGE = "local/tiny:v1-0123456789ab"
SECRET = [{"name": "TINY_SECRET", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/tiny/secret"}]
TASKS_TRUST = TRUST.replace("ecs.amazonaws.com", "ecs-tasks.amazonaws.com")


@dataclass
class Fleet:
    aws: EmulatedAws
    root: Path
    agent: Agent
    lines: list[str] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)

    def create(self, name: str = "tiny", **overrides: Any) -> str:
        container = {
            "image": IMAGE,
            "containerPort": 8000,
            "environment": [{"name": "TINY_NAME", "value": name}],
        }
        request: dict[str, Any] = {
            "executionRoleArn": self.roles["execution"],
            "taskRoleArn": self.roles["task"],
            "primaryContainer": container,
            "scalingTarget": {"minTaskCount": 2, "maxTaskCount": 2},
            **overrides,
        }
        return str(self.aws.create_service(name, **request)["serviceArn"])

    def update(self, arn: str, **container: Any) -> None:
        primary: Any = {"image": IMAGE, "containerPort": 8000, **container}
        self.aws.ecs.update_express_gateway_service(serviceArn=arn, primaryContainer=primary)

    def status(self, arn: str) -> dict[str, Any]:
        deployment = self.aws.current_deployment(arn)
        found = self.aws.ecs.describe_service_deployments(serviceDeploymentArns=[deployment])[
            "serviceDeployments"
        ]
        return dict(found[0]) if found else {"status": "MISSING"}

    def tasks(self, desired: str = "RUNNING") -> list[dict[str, Any]]:
        ecs = self.aws.ecs
        arns = ecs.list_tasks(cluster="default", serviceName="tiny", desiredStatus=desired)["taskArns"]  # type: ignore[arg-type]
        return [dict(t) for t in ecs.describe_tasks(cluster="default", tasks=arns)["tasks"]] if arns else []

    def events(self, arn: str) -> list[str]:
        [service] = self.aws.ecs.describe_services(cluster="default", services=[arn])["services"]
        return [event["message"] for event in service["events"]]


async def until(check: Callable[[], Any], patience: float = 30.0) -> Any:
    deadline = time.monotonic() + patience
    while True:
        found = await asyncio.to_thread(check)
        if found:
            return found
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def finished(fleet: Fleet, arn: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        found = fleet.status(arn)
        return found if found["status"] not in ("MISSING", "PENDING", "IN_PROGRESS") else None

    result: dict[str, Any] = await until(ended)
    return result


@pytest.fixture
async def fleet(aws: str, tmp_path: Path) -> AsyncIterator[Fleet]:
    emulated = EmulatedAws(aws)
    emulated.configure(tasks="agent")
    snapshot = tmp_path / ".work" / "sources" / IMAGE.rsplit("-", 1)[1]
    (snapshot / "apps").mkdir(parents=True)
    shutil.copy(APPS / "tiny.py", snapshot / "apps" / "tiny.py")
    (snapshot / "manifest.json").write_text(json.dumps({"app": "tiny:app", "pythonpath": ["apps"]}))
    ssm = emulated.client("ssm")
    ssm.put_parameter(Name="/tiny/secret", Value="sesame-seed-1234", Type="SecureString")
    iam = emulated.iam
    roles = {}
    for kind in ("execution", "task", "bare"):
        roles[kind] = iam.create_role(RoleName=f"tiny-{kind}", AssumeRolePolicyDocument=TASKS_TRUST)["Role"][
            "Arn"
        ]
    for role, actions in (("tiny-execution", ["logs:*", "ssm:GetParameters"]), ("tiny-bare", ["logs:*"])):
        statement = {"Effect": "Allow", "Action": actions, "Resource": "*"}
        document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        iam.put_role_policy(RoleName=role, PolicyName="run", PolicyDocument=document)
    control = Control(aws, "")
    lines: list[str] = []
    agent = Agent(control, tmp_path, lines.append, plumbing={"AWS_ENDPOINT_URL": aws}, timing=FAST,
                  base_env={"PATH": "/usr/bin:/bin"})  # fmt: skip
    running = asyncio.create_task(agent.run())
    yield Fleet(emulated, tmp_path, agent, lines, roles)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    await agent.stop()
    await control.close()


async def answers(fleet: Fleet) -> list[dict[str, Any]]:
    """What each serving task's process answers on `/`."""
    found = []
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        for process in fleet.agent.serving("tiny"):
            found.append((await client.get(process.url + "/")).json())
    return found


async def test_a_deployment_succeeds_once_its_tasks_are_healthy_targets(fleet: Fleet) -> None:
    arn = fleet.create(primaryContainer={"image": IMAGE, "containerPort": 8000, "secrets": SECRET})
    assert (await finished(fleet, arn))["status"] == "SUCCESSFUL"
    running = fleet.tasks()
    assert [t["lastStatus"] for t in running] == ["RUNNING", "RUNNING"]
    group = fleet.aws.ecs.describe_services(cluster="default", services=[arn])["services"][0][
        "loadBalancers"
    ][0]
    health = fleet.aws.elbv2.describe_target_health(TargetGroupArn=group["targetGroupArn"])[
        "TargetHealthDescriptions"
    ]
    assert sorted(h["TargetHealth"]["State"] for h in health) == ["healthy", "healthy"]
    served = await answers(fleet)
    assert len(served) == 2
    assert {answer["env"]["TINY_SECRET"] for answer in served} == {
        "sesame-seed-1234"
    }  # read as the execution role
    keys = {answer["env"]["AWS_ACCESS_KEY_ID"] for answer in served}
    assert all(key.startswith("ASIA") for key in keys)  # the task role's temporary credentials
    assert all("AWS_SESSION_TOKEN" in answer["env"] for answer in served)


async def test_a_task_starts_from_the_snapshot_its_image_names_not_the_working_tree(fleet: Fleet) -> None:
    arn = fleet.create()
    assert (await finished(fleet, arn))["status"] == "SUCCESSFUL"
    assert any(line.endswith("tiny: loaded in " + __import__("sys").executable) for line in fleet.lines)
    missing = "local/tiny:v2-ffffffffffff"
    fleet.update(arn, image=missing)
    failed = await finished(fleet, arn)
    assert failed["status"] == "ROLLBACK_SUCCESSFUL"
    assert "CannotPullContainerError" in failed["statusReason"]
    assert missing in failed["statusReason"]
    assert len(await answers(fleet)) == 2  # the old revision kept serving


async def test_tasks_that_fail_their_health_check_roll_the_deployment_back(fleet: Fleet) -> None:
    arn = fleet.create()
    await finished(fleet, arn)
    before = {t["taskArn"] for t in fleet.tasks()}
    fleet.update(arn, environment=[{"name": "TINY_UNHEALTHY", "value": "1"}])
    failed = await finished(fleet, arn)
    assert failed["status"] == "ROLLBACK_SUCCESSFUL"
    assert "Health checks failed with these codes: [500]" in failed["statusReason"]
    assert failed["deploymentCircuitBreaker"]["status"] == "TRIGGERED"
    stopped = [
        t for t in fleet.tasks("STOPPED") if t["stoppedReason"].startswith("Task failed ELB health checks")
    ]
    assert len(stopped) >= 3
    assert {t["taskArn"] for t in fleet.tasks()} == before  # the old tasks never stopped
    assert any("is unhealthy in (target-group" in message for message in fleet.events(arn))


async def test_environment_names_that_change_the_host_are_refused(fleet: Fleet) -> None:
    arn = fleet.create()
    await finished(fleet, arn)
    fleet.update(
        arn, environment=[{"name": "PYTHONWARNINGS", "value": "ignore"}, {"name": "BROWSER", "value": "sh"}]
    )
    failed = await finished(fleet, arn)
    assert failed["status"] == "ROLLBACK_SUCCESSFUL"
    assert "CannotStartContainerError" in failed["statusReason"]
    assert "PYTHONWARNINGS" in failed["statusReason"]
    assert "BROWSER" in failed["statusReason"]


async def test_a_secret_the_execution_role_may_not_read_stops_the_task_at_start(fleet: Fleet) -> None:
    container = {"image": IMAGE, "containerPort": 8000, "secrets": SECRET}
    arn = fleet.create(executionRoleArn=fleet.roles["bare"], primaryContainer=container)
    failed = await finished(fleet, arn)
    assert failed["status"] == "STOPPED"  # a first deployment has nothing to roll back to
    reasons = [t["stoppedReason"] for t in fleet.tasks("STOPPED") if t["stopCode"] == "TaskFailedToStart"]
    assert len(reasons) == 3  # the circuit breaker's threshold
    for reason in reasons:
        assert reason.startswith("ResourceInitializationError: unable to pull secrets or registry auth")
        assert "assumed-role/tiny-bare/" in reason
        assert (
            "ssm:GetParameters on resource: arn:aws:ssm:eu-west-1:123456789012:parameter/tiny/secret"
            in reason
        )
    assert fleet.agent.serving("tiny") == []


async def test_the_output_of_a_task_goes_to_its_log_stream(fleet: Fleet) -> None:
    arn = fleet.create()
    await finished(fleet, arn)
    logs = fleet.aws.client("logs")
    group = fleet.aws.ecs.describe_express_gateway_service(serviceArn=arn)["service"]["activeConfigurations"][
        0
    ]["primaryContainer"]["awsLogsConfiguration"]["logGroup"]

    task_ids = {t["taskArn"].rsplit("/", 1)[1] for t in fleet.tasks()}

    def shipped() -> list[str]:
        """The streams holding a task's first line, once every task's line has arrived (each task
        ships its own output, so they arrive one after another)."""
        events = logs.filter_log_events(logGroupName=group)["events"]
        found = [event["logStreamName"] for event in events if "tiny: loaded" in event["message"]]
        return found if {stream.rsplit("/", 1)[1] for stream in found} >= task_ids else []

    streams = await until(shipped)
    assert {stream.rsplit("/", 1)[1] for stream in streams} == task_ids
    assert all(stream.startswith("ecs/Main/") for stream in streams)


async def test_a_task_that_dies_is_replaced_and_no_dead_task_counts_as_running(fleet: Fleet) -> None:
    arn = fleet.create()
    await finished(fleet, arn)
    victim = fleet.agent.serving("tiny")[0]
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        with pytest.raises(httpx.HTTPError):
            await client.get(victim.url + "/crash")

    def counts() -> tuple[int, int]:
        [service] = fleet.aws.ecs.describe_services(cluster="default", services=[arn])["services"]
        return service["runningCount"], len(fleet.agent.serving("tiny"))

    assert await until(
        lambda: [t for t in fleet.tasks("STOPPED") if t.get("stopCode") == "EssentialContainerExited"]
    )
    assert counts()[0] <= 2
    assert await until(lambda: counts() == (2, 2))
