"""The supervisor keeps one healthy process per service, registered in the service's target groups."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from localcloud.runtime.process import ServiceSpec
from localcloud.runtime.supervisor import Supervisor, Timing

pytestmark = pytest.mark.anyio
FAST = Timing(health_timeout=20, drain=0.5, backoff_first=0.3, backoff_max=2.0, stable_after=30, recheck=0.5)


@pytest.fixture
async def supervised(gateway: Any) -> AsyncIterator[tuple[Supervisor, list[str]]]:
    lines: list[str] = []
    supervisor = Supervisor(gateway, lines.append, timing=FAST)
    yield supervisor, lines
    await supervisor.stop()


def spec(name: str, revision: str, **env: str) -> ServiceSpec:
    environment = {
        "PYTHONPATH": os.path.join(os.path.dirname(__file__), "apps"),
        "TINY_NAME": name,
        "APP_VERSION": revision,
        **env,
    }
    return ServiceSpec(
        name, f"arn:revision/{name}/{revision}", "tiny:app", "/health", f"{name}.localhost", environment
    )


async def eventually(predicate: Callable[[], Awaitable[bool] | bool], patience: float = 20.0) -> None:
    deadline = time.monotonic() + patience
    while True:
        outcome = predicate()
        if await outcome if isinstance(outcome, Awaitable) else outcome:
            return
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def targets(elbv2: Any, group: str) -> list[tuple[str, int]]:
    found = elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
    return [(d["Target"]["Id"], d["Target"]["Port"]) for d in found]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie has exited; only its exit status is left
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


async def test_starts_each_service_and_registers_it_in_both_target_groups(
    alb: Any, supervised: tuple[Supervisor, list[str]]
) -> None:
    supervisor, lines = supervised
    _, serving, standby = alb.add_service("alpha.localhost")
    supervisor.apply({"alpha": spec("alpha", "1")})

    await eventually(lambda: "alpha" in supervisor.serving())
    process = supervisor.serving()["alpha"]
    await eventually(lambda: bool(targets(alb.elbv2, standby)))  # registered in serving first

    expected = [(process.address, process.port)]
    assert targets(alb.elbv2, serving) == expected
    assert targets(alb.elbv2, standby) == expected
    async with httpx.AsyncClient(trust_env=False) as client:
        answer = (await client.get(process.url)).json()
    assert answer["version"] == "1"
    assert "AWS_PROFILE" not in answer["env"]
    assert any(line.startswith("alpha | tiny: loaded") for line in lines)  # its output, prefixed


async def test_a_new_revision_replaces_the_process_with_no_failed_request(
    alb: Any, routed: Any, supervised: tuple[Supervisor, list[str]]
) -> None:
    supervisor, _ = supervised
    _, serving, _ = alb.add_service("alpha.localhost")
    supervisor.apply({"alpha": spec("alpha", "1")})
    await eventually(lambda: bool(targets(alb.elbv2, serving)))
    old = supervisor.serving()["alpha"]
    await routed.router.refresh()

    versions: list[str] = []
    failures: list[str] = []
    done = asyncio.Event()

    async def load() -> None:
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            while not done.is_set():
                response = await client.get(routed.url, headers={"Host": "alpha.localhost"})
                if response.status_code == 200:
                    versions.append(response.json()["version"])
                else:
                    failures.append(f"{response.status_code} {response.text[:200]}")

    loop = asyncio.create_task(load())
    await eventually(lambda: "1" in versions)
    supervisor.apply({"alpha": spec("alpha", "2")})
    await eventually(lambda: versions[-1] == "2")
    await eventually(lambda: not alive(old.pid))
    done.set()
    await loop

    assert failures == []
    assert supervisor.serving()["alpha"].pid != old.pid
    assert targets(alb.elbv2, serving) == [
        (supervisor.serving()["alpha"].address, supervisor.serving()["alpha"].port)
    ]


async def test_a_crashed_process_is_restarted_with_growing_backoff(
    alb: Any, supervised: tuple[Supervisor, list[str]]
) -> None:
    supervisor, lines = supervised
    alb.add_service("alpha.localhost")
    supervisor.apply({"alpha": spec("alpha", "1")})
    await eventually(lambda: "alpha" in supervisor.serving())

    pids = []
    for _ in range(2):
        crashed = supervisor.serving()["alpha"]
        pids.append(crashed.pid)
        async with httpx.AsyncClient(trust_env=False) as client:
            with pytest.raises(httpx.HTTPError):
                await client.get(crashed.url + "/crash")
        await eventually(lambda: supervisor.serving().get("alpha") not in (None, crashed))  # noqa: B023

    assert len(set(pids)) == 2
    assert any("exited with code 3" in line for line in lines)
    delays = [line.split("retrying in ")[1] for line in lines if "retrying in" in line]
    assert delays == ["0.3s", "0.6s"]  # quick crashes in a row back off further each time


async def test_a_revision_that_fails_its_health_check_leaves_the_old_one_serving(
    alb: Any, supervised: tuple[Supervisor, list[str]]
) -> None:
    supervisor, lines = supervised
    _, serving, _ = alb.add_service("alpha.localhost")
    supervisor.apply({"alpha": spec("alpha", "1")})
    await eventually(lambda: bool(targets(alb.elbv2, serving)))
    good = supervisor.serving()["alpha"]
    supervisor.timing = Timing(health_timeout=1.5, drain=0.2, backoff_first=5, backoff_max=5, recheck=0.5)

    supervisor.apply({"alpha": spec("alpha", "2", TINY_UNHEALTHY="1")})
    await eventually(lambda: any("failed its health check /health" in line for line in lines))

    assert supervisor.serving()["alpha"] is good
    assert alive(good.pid)
    assert targets(alb.elbv2, serving) == [(good.address, good.port)]


async def test_stopping_leaves_no_process_and_no_target_behind(
    alb: Any, supervised: tuple[Supervisor, list[str]]
) -> None:
    supervisor, _ = supervised
    _, alpha_group, _ = alb.add_service("alpha.localhost")
    alb.add_service("beta.localhost")
    supervisor.apply({"alpha": spec("alpha", "1"), "beta": spec("beta", "1")})
    await eventually(lambda: len(supervisor.serving()) == 2)
    pids = [process.pid for process in supervisor.serving().values()]

    await supervisor.stop()

    assert not any(alive(pid) for pid in pids)
    assert targets(alb.elbv2, alpha_group) == []
    assert supervisor.serving() == {}


async def test_a_service_removed_from_the_fleet_is_stopped(
    alb: Any, supervised: tuple[Supervisor, list[str]]
) -> None:
    supervisor, _ = supervised
    alb.add_service("alpha.localhost")
    alb.add_service("beta.localhost")
    supervisor.apply({"alpha": spec("alpha", "1"), "beta": spec("beta", "1")})
    await eventually(lambda: len(supervisor.serving()) == 2)
    beta = supervisor.serving()["beta"]

    supervisor.apply({"alpha": spec("alpha", "1")})

    await eventually(lambda: not alive(beta.pid))
    assert list(supervisor.serving()) == ["alpha"]
