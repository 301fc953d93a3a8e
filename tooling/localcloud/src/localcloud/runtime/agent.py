"""The local cloud's fleet: runs the tasks the emulator wants, each as a process, and tells it what
happened (the emulator is ECS; this is Fargate and the ALB's health checker).

Each task runs its revision's source snapshot with its launch environment (secrets and task-role
credentials included) on its own loopback address. It is healthy once its health path answers 200;
it is unhealthy after two answers that are not 200 in a row (the ALB's UnhealthyThresholdCount), or
when it has not answered at all within `health_grace`. Its output goes to the dev console and, in
batches, to its CloudWatch log stream. A task the emulator no longer wants drains, then stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from expressway.registry import hostenv

from .control import Control, ControlError
from .process import LogSink, TaskProcess, free_endpoint
from .sources import Installer, StartError, resolve


@dataclass(frozen=True)
class Timing:
    poll: float = 0.25  # how often the emulator is asked what to run
    health_every: float = 0.25  # checks while a task starts
    health_grace: float = 30.0  # how long a task may take to answer at all
    unhealthy_after: int = 2  # failed checks in a row that make a task unhealthy
    recheck: float = 5.0  # checks once a task is healthy
    drain: float = 1.5  # a replaced task serves this long after its deregistration (> router refresh)
    stop_grace: float = 10.0
    flush: float = 0.5  # log lines go to CloudWatch this often


def task_environment(
    base: Mapping[str, str], plumbing: Mapping[str, str], launch: Mapping[str, str], pythonpath: list[str]
) -> dict[str, str]:
    """What a task process gets: the host's basics (never its AWS identity, proxies, or Python or
    expressway settings), the task's own environment, then the local plumbing, which wins."""
    kept = {
        k: v
        for k, v in base.items()
        if not k.startswith(("AWS_", "PYTHON", "EXPRESSWAY_", "UV_", "VIRTUAL_ENV"))
        and "proxy" not in k.lower()
    }
    return {**kept, **launch, **plumbing, "PYTHONPATH": os.pathsep.join(pythonpath), "PYTHONUNBUFFERED": "1"}


class Agent:
    """Keeps the running processes equal to the tasks the emulator wants running."""

    def __init__(
        self,
        control: Control,
        root: Path,
        log: LogSink,
        *,
        plumbing: Mapping[str, str],
        base_env: Mapping[str, str] | None = None,
        timing: Timing | None = None,
        label: Callable[[str], str] = lambda service: service,
    ) -> None:
        self.control = control
        self.root = root
        self.log = log
        self.plumbing = dict(plumbing)
        self.base_env = dict(os.environ if base_env is None else base_env)
        self.timing = timing or Timing()
        self.label = label
        self.installer = Installer(root)
        self.runners: dict[str, _Runner] = {}
        self._last_error: str | None = None

    async def run(self) -> None:
        """Poll and reconcile until cancelled."""
        while True:
            try:
                wanted = await self.control.tasks()
            except ControlError as error:
                if str(error) != self._last_error:
                    self.log(f"agent | cannot ask the emulator what to run: {error}")
                self._last_error = str(error)
            else:
                self._last_error = None
                self.reconcile(wanted)
            await asyncio.sleep(self.timing.poll)

    def reconcile(self, wanted: list[dict[str, Any]]) -> None:
        listed = {task["arn"]: task for task in wanted}
        for arn, task in listed.items():
            runner = self.runners.get(arn)
            if runner is None and task["desired"] == "RUNNING" and "launch" in task:
                self.runners[arn] = _Runner(self, task)
            elif runner is not None and task["desired"] == "STOPPED":
                runner.retire(drain=True, report=True)
        for arn, runner in list(self.runners.items()):
            if arn not in listed:
                runner.retire(drain=False, report=False)  # the emulator stopped it already
            if runner.finished:
                del self.runners[arn]

    def serving(self, service: str) -> list[TaskProcess]:
        """The processes of `service` that passed their health check and still run."""
        return [r.process for r in self.runners.values() if r.service == service and r.healthy and r.process]

    async def stop(self) -> None:
        """Stop every process (the local cloud is shutting down) and wait for them."""
        for runner in self.runners.values():
            runner.retire(drain=False, report=False)
        await asyncio.gather(*(runner.task for runner in self.runners.values()), return_exceptions=True)


class _Runner:
    """One task's life: start, health checks, log shipping, stop."""

    def __init__(self, agent: Agent, task: dict[str, Any]) -> None:
        self.agent = agent
        self.arn = str(task["arn"])
        self.service = str(task["service"])
        self.launch: dict[str, Any] = task["launch"]
        self.prefix = f"{agent.label(self.service)}:{self.arn.rsplit('/', 1)[-1][:4]}"
        self.process: TaskProcess | None = None
        self.healthy = False
        self._retire = asyncio.Event()
        self._drain = False
        self._report_stop = True
        self._lines: list[list[Any]] = []
        self.task = asyncio.create_task(self._run(), name=f"task {self.prefix}")

    @property
    def finished(self) -> bool:
        return self.task.done()

    def retire(self, *, drain: bool, report: bool) -> None:
        if not self._retire.is_set():
            self._drain, self._report_stop = drain, report
            self._retire.set()

    def say(self, message: str) -> None:
        self.agent.log(f"{self.prefix} | [agent] {message}")

    def _line(self, line: str) -> None:
        self.agent.log(line)
        self._lines.append([int(time.time() * 1000), line.split(" | ", 1)[-1]])

    async def _report(self, event: str, **fields: Any) -> None:
        with contextlib.suppress(ControlError):  # the emulator is going away with the local cloud
            await self.agent.control.report(self.arn, event, **fields)

    async def _flush(self) -> None:
        lines, self._lines = self._lines, []
        if lines:
            await self._report("logs", lines=lines)

    async def _shipping(self) -> None:
        while True:
            await asyncio.sleep(self.agent.timing.flush)
            await self._flush()

    async def _run(self) -> None:
        shipping = asyncio.create_task(self._shipping())
        try:
            await self._life()
        finally:
            shipping.cancel()
            if self.process is not None:
                await asyncio.shield(self.process.stop(self.agent.timing.stop_grace))
            await asyncio.shield(self._flush())

    async def _life(self) -> None:
        timing = self.agent.timing
        environment: dict[str, str] = dict(self.launch["environment"])
        try:
            source = resolve(self.agent.root, str(self.launch["image"]))
            refused = hostenv.refused(environment)
            if refused:
                raise StartError("CannotStartContainerError: " + hostenv.explain(self.service, refused))
            await self.agent.installer.ensure(source, self.say)
        except StartError as error:
            self.say(error.reason)
            await self._report("failed", reason=error.reason)
            return
        address, port = free_endpoint()
        self.process = TaskProcess(source.app, address, port, self._line, self.prefix)
        env = task_environment(
            self.agent.base_env, self.agent.plumbing, environment, [str(p) for p in source.pythonpath]
        )
        await self.process.start(env)
        self.say(f"started {self.launch['image']} on {self.process.url}")
        await self._report("running", address=address, port=port)
        health = str(self.launch.get("health_path") or "/")
        verdict = await self._checks(self.process, health, timing.health_every, timing.health_grace)
        while verdict == "healthy":
            if not self.healthy:
                self.healthy = True
                self.say(f"healthy: {health} answered 200")
                await self._report("healthy")
            verdict = await self._checks(self.process, health, timing.recheck, None)
        if verdict == "retired":
            self.healthy = False
            if self._drain:
                await asyncio.sleep(timing.drain)  # the router drops the target; in-flight requests end
            await self.process.stop(timing.stop_grace)
            if self._report_stop:
                await self._report("stopped")
        elif verdict.startswith("exited"):
            code = self.process.returncode if self.process.returncode is not None else 1
            self.say(f"exited with code {code}")
            await self._report("exited", code=code)
        else:
            self.say(f"unhealthy: {verdict}")
            await self._report("unhealthy", reason=verdict)

    async def _checks(self, process: TaskProcess, path: str, every: float, grace: float | None) -> str:
        """Health checks until a verdict: "healthy", "retired", "exited" or why it is unhealthy."""
        deadline = None if grace is None else time.monotonic() + grace
        failures, answered = 0, grace is None
        async with httpx.AsyncClient(trust_env=False, timeout=5.0) as client:
            while True:
                if self._retire.is_set():
                    return "retired"
                if process.returncode is not None:
                    return "exited"
                try:
                    answer = await client.get(process.url + path)
                except httpx.HTTPError as error:
                    if answered:
                        failures += 1
                        reason = f"Request timed out or the connection was refused ({type(error).__name__})"
                        if failures >= self.agent.timing.unhealthy_after:
                            return reason
                    elif deadline is not None and time.monotonic() > deadline:
                        return f"Request timed out: no answer on {path} within {grace:g}s"
                else:
                    answered = True
                    if answer.status_code == 200:
                        if grace is not None:
                            return "healthy"
                        failures = 0
                    else:
                        failures += 1
                        if failures >= self.agent.timing.unhealthy_after:
                            return f"Health checks failed with these codes: [{answer.status_code}]"
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._retire.wait(), every)
