"""Runs each Express service as a local process, the way ECS runs its tasks: one per service,
replaced with zero downtime on a new revision, restarted with backoff when it crashes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass

from expressway.aws.elbv2 import Elbv2

from .process import LogSink, ServiceProcess, ServiceSpec, free_endpoint
from .routes import read_routes


@dataclass(frozen=True)
class Timing:
    """How patient the supervisor is. `drain` must exceed the router's refresh interval: the old
    process keeps serving that long after its target is deregistered, as an ALB drains a target."""

    health_timeout: float = 60.0
    drain: float = 1.5
    backoff_first: float = 1.0
    backoff_max: float = 30.0
    stable_after: float = 30.0  # a process that ran this long resets the crash backoff
    recheck: float = 5.0  # how often a serving process's target registration is re-asserted
    stop_grace: float = 10.0


class Supervisor:
    """Keeps one healthy process per desired service, registered as a target of its ALB rule."""

    def __init__(
        self,
        elbv2: Elbv2,
        log: LogSink,
        *,
        timing: Timing | None = None,
        base_env: Mapping[str, str] | None = None,
    ) -> None:
        self._elbv2 = elbv2
        self._log = log
        self.timing = timing or Timing()
        # the child never inherits our AWS identity or proxy: its spec says which ones it gets
        source = os.environ if base_env is None else base_env
        self.base_env = {
            k: v for k, v in source.items() if not k.startswith("AWS_") and "proxy" not in k.lower()
        }
        self._units: dict[str, _Unit] = {}

    def apply(self, desired: Mapping[str, ServiceSpec]) -> None:
        """Make `desired` the fleet: start new services, roll changed ones, stop removed ones."""
        width = max((len(name) for name in [*desired, *self._units]), default=0)
        for name, spec in desired.items():
            unit = self._units.get(name)
            if unit is None or unit.finished:
                unit = self._units[name] = _Unit(self, name)
            unit.prefix = name.ljust(width)
            unit.want(spec)
        for name, unit in self._units.items():
            if name not in desired:
                unit.want(None)

    def serving(self) -> dict[str, ServiceProcess]:
        """The process that serves each service now (absent while none is healthy)."""
        return {name: unit.current for name, unit in self._units.items() if unit.current is not None}

    async def stop(self) -> None:
        """Stop every process (gracefully, then by force) and wait until all are gone."""
        for unit in self._units.values():
            unit.want(None)
        tasks = [unit.task for unit in self._units.values()]
        if tasks:
            # a serving unit winds down on its own (deregister, then stop); one still waiting for a
            # health check is cancelled, and its cleanup stops the process it was starting
            _, waiting = await asyncio.wait(tasks, timeout=2.0)
            for task in waiting:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def log(self, line: str) -> None:
        self._log(line)

    async def targets_groups(self, host: str) -> tuple[str, ...] | None:
        """The target groups of the rule for `host`; None when the rules cannot be read now."""
        # The emulator moves its rule between a service's two target groups on its own clock, not
        # on target health, so each process is registered in both: the rule always finds it.
        try:
            route = (await asyncio.to_thread(read_routes, self._elbv2)).route_for(host) if host else None
        except Exception as error:  # the emulator is busy or gone: the next recheck tries again
            self._log(f"{host} | [supervisor] cannot read the load balancer rules: {error}")
            return None
        return route.groups if route is not None else ()

    async def register(self, groups: tuple[str, ...], process: ServiceProcess) -> None:
        for group in groups:
            try:
                await asyncio.to_thread(self._elbv2.register, group, process.address, process.port)
            except Exception as error:  # e.g. the group went with a deleted service; retried at recheck
                self._log(f"{process.spec.name} | [supervisor] cannot register {process.url}: {error}")

    async def deregister(self, groups: tuple[str, ...], process: ServiceProcess) -> None:
        for group in groups:
            with contextlib.suppress(Exception):  # already gone with its group, or never registered
                await asyncio.to_thread(self._elbv2.deregister, group, process.address, process.port)


class _Unit:
    """The life of one service: a task that reconciles its process with what is wanted."""

    def __init__(self, supervisor: Supervisor, name: str) -> None:
        self._sup = supervisor
        self.name = name
        self.prefix = name
        self.desired: ServiceSpec | None = None
        self.current: ServiceProcess | None = None
        self._groups: tuple[str, ...] = ()
        self._changed = asyncio.Event()
        self.task = asyncio.create_task(self._run(), name=f"supervise {name}")

    @property
    def finished(self) -> bool:
        return self.task.done()

    def want(self, spec: ServiceSpec | None) -> None:
        if spec != self.desired:
            self.desired = spec
            self._changed.set()

    def _say(self, message: str) -> None:
        self._sup.log(f"{self.prefix} | [supervisor] {message}")

    async def _run(self) -> None:
        timing = self._sup.timing
        failures = 0  # crashes or failed starts in a row; reset by a long enough run or a new spec
        failed: ServiceSpec | None = None  # the spec whose last start failed
        try:
            while self.desired is not None:
                self._changed.clear()  # from here on, any want() is seen (single-threaded asyncio)
                spec = self.desired
                if self.current is not None and self.current.spec == spec:
                    failures = await self._serve(self.current, failures)
                    continue
                retrying = failures and (self.current is None or spec == failed)
                if retrying and not await self._pause(timing, failures, spec):
                    failures = 0  # a new revision arrived during the pause: try it at once
                    continue
                if await self._roll(spec):
                    failed = None
                else:
                    failures, failed = failures + 1, spec
        finally:
            process, self.current = self.current, None
            if process is not None:
                await self._sup.deregister(self._groups, process)
                await process.stop(timing.stop_grace)

    async def _pause(self, timing: Timing, failures: int, spec: ServiceSpec) -> bool:
        """Back off before another attempt; False when the wanted spec changed meanwhile."""
        delay = min(timing.backoff_first * 2 ** (failures - 1), timing.backoff_max)
        self._say(f"retrying in {delay:g}s")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), delay)
        return self.desired == spec

    async def _serve(self, process: ServiceProcess, failures: int) -> int:
        """Wait until the process exits or the wanted spec changes; the updated failure count."""
        exited = asyncio.ensure_future(process.wait())
        changed = asyncio.ensure_future(self._changed.wait())
        done, _ = await asyncio.wait(
            {exited, changed}, timeout=self._sup.timing.recheck, return_when="FIRST_COMPLETED"
        )
        changed.cancel()
        if exited not in done:
            exited.cancel()
            if not done:  # quiet period: make sure the rule still finds this process
                await self._register(process)
            return failures
        lived = time.monotonic() - process.started_at
        self._say(f"{self.name} exited with code {exited.result()}; restarting")
        await self._sup.deregister(self._groups, process)
        self.current = None
        return (
            1 if lived >= self._sup.timing.stable_after else failures + 1
        )  # 1: restart after the first delay

    async def _roll(self, spec: ServiceSpec) -> bool:
        """Start `spec`, wait for its health check, route to it, then retire the old process."""
        timing = self._sup.timing
        address, port = free_endpoint()
        process = ServiceProcess(spec, address, port, self._sup.log, self.prefix)
        self._say(f"starting {_short(spec.revision)} on {process.url}")
        try:
            await process.start(self._sup.base_env)
            healthy = await process.wait_healthy(timing.health_timeout)
        except BaseException:  # cancelled (supervisor stopping) or could not start: leave nothing behind
            await asyncio.shield(process.stop(timing.stop_grace))
            raise
        if not healthy:
            code = process.returncode
            why = (
                f"exited with code {code}"
                if code is not None
                else f"no 200 within {timing.health_timeout:g}s"
            )
            self._say(f"{_short(spec.revision)} failed its health check {spec.health}: {why}")
            await process.stop(timing.stop_grace)
            return False
        old, self.current = self.current, process
        await self._register(process)
        if old is not None:
            if old.address != process.address:  # same address: the new target already replaced it
                await self._sup.deregister(self._groups, old)
            await asyncio.sleep(timing.drain)  # the router drops the target; in-flight requests finish
            await old.stop(timing.stop_grace)
        self._say(f"serving {_short(spec.revision)} at {process.url}")
        return True

    async def _register(self, process: ServiceProcess) -> None:
        groups = await self._sup.targets_groups(process.spec.host)
        if groups is None:
            groups = self._groups  # keep what is registered; the next recheck reads again
        elif not groups:
            self._say(f"no load balancer rule routes {process.spec.host or '(no host)'} yet")
        await self._sup.register(groups, process)
        stale = tuple(g for g in self._groups if g not in groups)
        await self._sup.deregister(stale, process)
        self._groups = groups


def _short(revision: str) -> str:
    """A revision ARN's last part, e.g. "rev-3" (what a person reads in a log line)."""
    return revision.rsplit("/", 1)[-1] or revision
