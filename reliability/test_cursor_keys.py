"""Pagination across several tasks of the sensors service, as the shared load balancer spreads requests:
two processes that each made their own cursor key refuse each other's cursors (the failure a deployed
service without a shared CURSOR_KEY would show on every second page); two sharing CURSOR_KEY serve every
page; and a task on Amazon ECS without CURSOR_KEY refuses to start, so that failure cannot be deployed."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness.processes import free_port, python
from harness.servers import uvicorn_app

from reliability.figures import Figures
from reliability.fleet import CURSOR_KEY, Fleet, service_env

# What the ECS agent puts in every Fargate task's environment (the value is never contacted here).
ECS = {"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/0123456789abcdef-1234567890"}
PAGE = 2


def _env(fleet: Fleet, **extra: str) -> dict[str, str]:
    env = service_env(fleet.dynamodb, CACHE_TTL="0", **extra)
    if "CURSOR_KEY" not in extra:
        del env["CURSOR_KEY"]
    return env


@contextlib.contextmanager
def _two_tasks(env: dict[str, str], logs: Path) -> Iterator[list[str]]:
    with (
        uvicorn_app("homestack_sensors.app:app", env=env, log=logs / "task-a.log") as a,
        uvicorn_app("homestack_sensors.app:app", env=env, log=logs / "task-b.log") as b,
    ):
        yield [a, b]


def _walk_alternating(tasks: list[str]) -> list[httpx.Response]:
    """Every page of GET /sensors, each request to the next task in turn (the load balancer's round robin)."""
    answers: list[httpx.Response] = []
    params: dict[str, Any] = {"limit": PAGE}
    with httpx.Client(timeout=10) as http:
        while len(answers) < 100:
            response = http.get(f"{tasks[len(answers) % len(tasks)]}/sensors", params=params)
            answers.append(response)
            cursor = response.headers.get("X-Next-Cursor")
            if response.status_code != 200 or cursor is None:
                return answers
            params = {"limit": PAGE, "cursor": cursor}
    raise AssertionError("the listing never ended")


def test_tasks_with_their_own_keys_refuse_each_others_cursors(
    fleet: Fleet, tmp_path: Path, figures: Figures
) -> None:
    with _two_tasks(_env(fleet), tmp_path) as tasks:
        answers = _walk_alternating(tasks)
    figures.count("cases tried", len(answers))
    assert [a.status_code for a in answers] == [200, 400]
    assert answers[1].json()["error"]["code"] == "invalid_cursor"
    logs = (tmp_path / "task-a.log").read_text() + (tmp_path / "task-b.log").read_text()
    assert logs.count("CURSOR_KEY is not set") == 2  # each process warned that its key is its own


def test_tasks_sharing_a_cursor_key_serve_every_page(fleet: Fleet, tmp_path: Path, figures: Figures) -> None:
    with _two_tasks(_env(fleet, CURSOR_KEY=CURSOR_KEY, **ECS), tmp_path) as tasks:
        answers = _walk_alternating(tasks)
    figures.count("cases tried", len(answers))
    assert {a.status_code for a in answers} == {200}
    listed = [snapshot["sensor_id"] for answer in answers for snapshot in answer.json()]
    assert sorted(listed) == sorted(fleet.sensor_ids)
    assert len(answers) == -(-len(fleet.sensor_ids) // PAGE)


def _start_on_ecs(env: dict[str, str]) -> tuple[int, str]:
    """Start one task as ECS would (its metadata variable set); its exit code and output once it stops."""
    argv = [python(), "-m", "uvicorn", "homestack_sensors.app:app", "--host", "127.0.0.1"]
    argv += ["--port", str(free_port())]
    try:
        result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError("the sensors service started on ECS without a usable CURSOR_KEY") from exc
    return result.returncode, result.stdout + result.stderr


def test_a_task_on_ecs_without_a_cursor_key_refuses_to_start(fleet: Fleet, figures: Figures) -> None:
    code, output = _start_on_ecs({**os.environ, **_env(fleet, LOG_FORMAT="text", **ECS)})
    figures.count("cases tried")
    assert code == 3, output  # uvicorn's exit code for a failed startup
    assert "sensors configuration is invalid: CURSOR_KEY is not set" in output
    assert "hint:" in output
    assert "Traceback" not in output


@pytest.mark.parametrize("cursor_key", ["", "short-key"])
def test_an_empty_or_short_cursor_key_on_ecs_is_refused_too(
    fleet: Fleet, cursor_key: str, figures: Figures
) -> None:
    code, output = _start_on_ecs({**os.environ, **_env(fleet, CURSOR_KEY=cursor_key, **ECS)})
    figures.count("cases tried")
    assert code == 3, output
    assert "CURSOR_KEY" in output
    assert "Traceback" not in output
    if cursor_key:
        assert cursor_key not in output  # a secret is never echoed
