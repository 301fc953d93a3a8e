"""The agent endpoints: how the local cloud's runtime runs the emulator's tasks (`tasks="agent"`).

The emulator is ECS and the ALB's control plane: it decides which tasks should run, prepares their
launch (launch.py) and decides what their health means for a deployment. The agent is the fleet
and the health checker: it runs each task as a process and reports what happened.

    GET  /moto-api/expressway/agent    -> {"tasks": [{"arn", "service", "desired", "status", "launch"?}]}
    POST /moto-api/expressway/agent    {"task": ARN, "event": "running", "address": A, "port": P}
                                       {"task": ARN, "event": "healthy" | "stopped"}
                                       {"task": ARN, "event": "unhealthy" | "failed", "reason": R}
                                       {"task": ARN, "event": "exited", "code": N}
                                       {"task": ARN, "event": "logs", "lines": [[epoch ms, text], ...]}
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from moto.ecs.models import ecs_backends
from moto.logs.models import logs_backends

from . import launch, lifecycle, targets, tasks
from .records import ExpressService, now, store
from .responses import LOCK

AGENT_PATH = "/moto-api/expressway/agent"
BACKOFF_MAX = 30.0  # seconds between replacements of a task that keeps failing


def _services() -> Iterator[tuple[Any, ExpressService]]:
    for account in list(ecs_backends.keys()):
        for region, backend in list(ecs_backends[account].items()):
            del region
            for svc in list(store(backend).values()):
                yield backend, svc


def _find(arn: str) -> tuple[Any, ExpressService, tasks.ExpressTask] | None:
    for backend, svc in _services():
        for task in tasks.of_service(backend, svc):
            if task.task_arn == arn:
                return backend, svc, task
    return None


def wanted() -> dict[str, Any]:
    """Every task the agent should run or stop, with the launch of those it should start."""
    found = []
    for backend, svc in _services():
        lifecycle.settle_service(backend, svc, read=False)
        for task in tasks.of_service(backend, svc):
            if task.status == "STOPPED" or (task.not_before is not None and task.not_before > now()):
                continue
            item: dict[str, Any] = {
                "arn": task.task_arn,
                "service": svc.name,
                "revision": task.revision_arn,
                "desired": task.desired_status,
                "status": task.status,
            }
            if task.desired_status == "RUNNING" and task.status == "PROVISIONING":
                if task.launch is None:
                    revision = next(r for r in svc.revisions if r.arn == task.revision_arn)
                    try:
                        task.launch = launch.prepare(backend, revision, task)
                    except launch.LaunchError as error:
                        _failed(backend, svc, task, error.reason, "TaskFailedToStart")
                        continue
                item["launch"] = task.launch
            found.append(item)
    return {"tasks": found}


def report(body: dict[str, Any]) -> None:
    """Apply one thing the agent saw; ValueError for a report that makes no sense."""
    located = _find(str(body.get("task", "")))
    if located is None:
        raise ValueError(f"task: {body.get('task')!r} is not a task of an Express service")
    backend, svc, task = located
    event = body.get("event")
    account, region = backend.account_id, backend.region_name
    if event == "logs":
        _logs(account, region, task, body.get("lines") or [])
    elif event == "running":
        task.address, task.port = str(body["address"]), int(body["port"])
        tasks.running(backend, svc, task)
        targets.register(account, region, task.target_group_arn, task.address, task.port, "initial")
        task.registered = True
        tasks.event(backend, svc, f"registered 1 targets in (target-group {task.target_group_arn})")
    elif event == "healthy":
        task.health_status = "HEALTHY"
        svc.crashes = 0
        if task.registered:
            targets.set_health(account, region, task.target_group_arn, task.address, "healthy")
    elif event == "unhealthy":
        reason = str(body.get("reason") or "Health checks failed")
        if task.registered:
            targets.set_health(account, region, task.target_group_arn, task.address, "unhealthy", reason)
        group = task.target_group_arn
        tasks.event(
            backend,
            svc,
            f"(port {task.port}) is unhealthy in (target-group {group}) due to (reason {reason}).",
        )
        stop = f"Task failed ELB health checks in (target-group {task.target_group_arn})"
        path = (task.launch or {}).get("health_path", "/")
        _failed(backend, svc, task, stop, detail=f"{stop}: {reason} (health check path {path})")
    elif event == "exited":
        _failed(
            backend,
            svc,
            task,
            "Essential container in task exited",
            "EssentialContainerExited",
            int(body.get("code", 1)),
        )
    elif event == "failed":
        _failed(
            backend, svc, task, str(body.get("reason") or "CannotStartContainerError"), "TaskFailedToStart"
        )
    elif event == "stopped":
        lifecycle.deregister(backend, [task])
        tasks.stop(
            backend,
            svc,
            task,
            task.stopped_reason or "Task stopped by the local cloud",
            "ServiceSchedulerInitiated",
        )
    else:
        raise ValueError(
            f"event: {event!r} is not running, healthy, unhealthy, exited, failed, stopped or logs"
        )
    lifecycle.settle_service(backend, svc, read=False)


def _failed(
    backend: Any,
    svc: ExpressService,
    task: tasks.ExpressTask,
    reason: str,
    code: str = "ServiceSchedulerInitiated",
    exit_code: int | None = None,
    *,
    detail: str | None = None,
) -> None:
    """A task stopped that should have run: count it against its deployment, start another."""
    lifecycle.deregister(backend, [task])
    tasks.stop(backend, svc, task, reason, code, exit_code)
    latest = svc.latest if svc.deployments else None
    if latest is not None and latest.running and task.revision_arn == latest.target.arn:
        lifecycle.record_failed_task(backend, svc, latest, detail or reason)
        if latest.failure is None:
            _replace(backend, svc, task, latest.failed_tasks, latest.ecs_id)
    elif task.revision_arn == svc.serving.arn and svc.status == "ACTIVE":
        svc.crashes += 1
        _replace(backend, svc, task, svc.crashes, task.started_by.removeprefix("ecs-svc/"))


def _replace(backend: Any, svc: ExpressService, task: tasks.ExpressTask, failures: int, ecs_id: str) -> None:
    revision = next(r for r in svc.revisions if r.arn == task.revision_arn)
    [replacement] = tasks.start(backend, svc, revision, 1, ecs_id)
    delay = min(BACKOFF_MAX, 2.0 ** max(failures - 1, 0) - 1)  # at once, then 1 s, 3 s, 7 s...
    replacement.not_before = now() + timedelta(seconds=delay) if delay > 0 else None


def _logs(account: str, region: str, task: tasks.ExpressTask, lines: list[Any]) -> None:
    """Append the task's output to its log stream (awslogs: `<prefix>/Main/<task id>`)."""
    if task.launch is None or not lines:
        return
    group, stream = task.launch["log_group"], task.launch["log_stream"]
    backend = logs_backends[account][region]
    if group not in backend.groups:
        backend.create_log_group(group, {})
    if stream not in backend.groups[group].streams:
        backend.create_log_stream(group, stream)
    events = [{"timestamp": int(ms), "message": str(text)} for ms, text in lines]
    backend.groups[group].put_log_events(stream, events)


def endpoint(request: Any, _full_url: str, _headers: Any) -> tuple[int, dict[str, str], str]:
    headers = {"Content-Type": "application/json"}
    try:
        with LOCK:
            if request.method == "GET":
                return 200, headers, json.dumps(wanted())
            if request.method != "POST":
                return 405, headers, json.dumps({"error": "use GET or POST"})
            body = json.loads(request.data or b"{}")
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            report(body)
            return 200, headers, "{}"
    except (ValueError, KeyError, TypeError) as error:
        return 400, headers, json.dumps({"error": f"{type(error).__name__}: {error}"})
