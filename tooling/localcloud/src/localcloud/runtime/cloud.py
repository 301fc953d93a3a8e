"""`expressway dev`: the emulated AWS endpoint, the fleet deployed into it the real way, the supervisor
running it from source, the router in front and a simulated sensor feeding it; Ctrl-C stops it all."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import signal
import sys
from collections.abc import Awaitable
from contextlib import AsyncExitStack
from typing import Any

import httpx

from expressway.aws import local_state
from expressway.aws.ecs import Ecs
from expressway.aws.elbv2 import Elbv2
from expressway.aws.ssm import Ssm
from expressway.aws.sts import identity
from expressway.console import Console
from expressway.errors import ExpresswayError, UsageError
from expressway.registry import Names, Registry

from .options import DevOptions, check_port, endpoint_of
from .process import Child, ServiceSpec
from .revisions import LocalAws, read_fleet
from .router import Router, server
from .routes import read_routes
from .supervisor import Supervisor

# A request line in the emulator's werkzeug log: one per AWS call, far too many to show.
_REQUEST_LOG = re.compile(r'"[A-Z]+ \S+ HTTP/1\.[01]" \d{3} ')
_COLOR = re.compile(r"\x1b\[[0-9;]*m")  # werkzeug colours the status in a terminal


class LocalCloud:
    """Starts the pieces in order; each one's cleanup is pushed on one exit stack."""

    def __init__(self, options: DevOptions, registry: Registry, console: Console) -> None:
        self.options = options
        self.registry = registry
        self.console = console
        self.environment = registry.environment(options.env)
        self.host, self.aws_port = endpoint_of(self.environment, options.env)
        self.endpoint = f"http://{self.host}:{self.aws_port}"
        self.failed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.stopping = False  # children exiting from here on were asked to
        self.specs: dict[str, ServiceSpec] = {}

    def line(self, text: str) -> None:
        self.console.data(text + "\n")

    def _fail(self, why: str) -> None:
        if not self.failed.done() and not self.stopping:
            self.failed.set_result(why)

    async def wait_failed(self) -> str:
        return await asyncio.shield(self.failed)

    async def _stop_child(self, child: Child) -> None:
        self.stopping = True  # shutting down: a child exiting now is no failure
        await child.stop(5.0)

    async def start(self, stack: AsyncExitStack) -> None:
        options = self.options
        check_port(
            self.host, self.aws_port, "the emulated AWS endpoint", "change [environments.local] endpoint"
        )
        check_port("127.0.0.1", options.port, "the router", "pick another with --port")
        self.console.progress(f"dev: starting the emulated AWS endpoint on {self.endpoint}")
        await self._emulator(stack)
        aws = LocalAws(self.endpoint, self.environment.region, await self._account(), options.port)
        self.aws = aws
        elbv2 = Elbv2(self.environment)
        router = Router(lambda: read_routes(elbv2), interval=0.5)
        await self._router(stack, router)
        supervisor = Supervisor(elbv2, self.line)
        stack.push_async_callback(supervisor.stop)
        watcher = asyncio.create_task(self._watch_fleet(supervisor, aws))
        stack.callback(watcher.cancel)
        keys = await asyncio.to_thread(self._ensure_secrets)
        self.console.progress(f"dev: deploying {', '.join(self.registry.services)} to {options.env}")
        await self._deploy(stack)
        self.specs = await asyncio.to_thread(self._read, aws)
        ingest_key = keys.get(("ingest", "INGEST_API_KEY"))
        if options.simulate and ingest_key and "ingest" in self.specs:
            await self._simulator(stack, ingest_key)

    async def _account(self) -> str:
        return (await asyncio.to_thread(identity, self.environment)).account

    async def _emulator(self, stack: AsyncExitStack) -> None:
        def log(text: str) -> None:
            if not _REQUEST_LOG.search(_COLOR.sub("", text)):
                self.line(text)

        emulator = Child(log, "aws")
        # Host names as a person types them: sensors.localhost, not homestack-local-sensors.localhost.
        strip = Names.of(self.registry, self.options.env).prefix + "-"
        command = [sys.executable, "-m", "localcloud.server", "--host", self.host,
                   "--port", str(self.aws_port), "--local-port", str(self.options.port),
                   "--local-strip-prefix", strip, "--no-auth",
                   "--state-file", str(local_state.state_path(self.endpoint))]  # fmt: skip
        # Real AWS holds its managed policies (the deploy attaches two); no instance needs moto's AMIs.
        tuning = {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true", "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
        await emulator.spawn(command, {**os.environ, **tuning})
        stack.push_async_callback(self._stop_child, emulator)
        self._on_exit(stack, emulator, "the emulated AWS endpoint")
        async with httpx.AsyncClient(trust_env=False, timeout=2.0) as web:
            for _ in range(600):
                if emulator.returncode is not None:
                    raise ExpresswayError(
                        f"dev: the emulated AWS endpoint exited with code {emulator.returncode}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    await web.get(f"{self.endpoint}/moto-api/")
                    return
                await asyncio.sleep(0.1)
        raise ExpresswayError(f"dev: the emulated AWS endpoint did not answer on {self.endpoint} within 60s")

    def _on_exit(self, stack: AsyncExitStack, child: Child, what: str) -> None:
        async def watch() -> None:
            code = await child.wait()
            self._fail(f"{what} exited with code {code}")

        stack.callback(asyncio.create_task(watch()).cancel)

    async def _router(self, stack: AsyncExitStack, router: Router) -> None:
        uvicorn_server = server(router, self.options.port)
        task = asyncio.create_task(uvicorn_server.serve())

        async def stop() -> None:
            uvicorn_server.should_exit = True
            await asyncio.gather(task, return_exceptions=True)

        stack.push_async_callback(stop)
        while not uvicorn_server.started:
            if task.done():
                raise UsageError(f"dev: the router could not listen on 127.0.0.1:{self.options.port}")
            await asyncio.sleep(0.02)

    async def _watch_fleet(self, supervisor: Supervisor, aws: LocalAws) -> None:
        reported: dict[str, str] = {}
        last: dict[str, ServiceSpec] = {}
        while True:
            try:
                specs, problems = await asyncio.to_thread(self._read_all, aws)
            except Exception as error:  # botocore's many types; the emulator's own exit is watched apart
                self.console.progress(f"dev: cannot read the fleet: {type(error).__name__}: {error}")
            else:
                for key, why in problems.items():
                    if reported.get(key) != why:
                        self.console.progress(f"dev: {key} cannot start: {why}")
                    if key in last:
                        specs[key] = last[key]  # keep what runs; the broken revision waits
                reported, last = problems, dict(specs)
                supervisor.apply(specs)
            await asyncio.sleep(self.options.fleet_poll)

    def _read_all(self, aws: LocalAws) -> tuple[dict[str, ServiceSpec], dict[str, str]]:
        ecs, ssm = Ecs(self.environment), Ssm(self.environment)
        return read_fleet(ecs, ssm, self.registry, self.options.env, aws)

    def _read(self, aws: LocalAws) -> dict[str, ServiceSpec]:
        return self._read_all(aws)[0]

    def _ensure_secrets(self) -> dict[tuple[str, str], str]:
        """Every SSM secret the registry declares exists in the emulator (a fresh random value the
        first time), as an operator would have created it before a first real deploy."""
        ssm = Ssm(self.environment)
        values: dict[tuple[str, str], str] = {}
        for key, service in self.registry.services.items():
            for var, ref in service.secrets.items():
                if not ref.startswith("ssm:"):
                    continue
                name = "/" + ref.removeprefix("ssm:").lstrip("/")
                found = ssm.value(name)
                if found is None:
                    found = secrets.token_urlsafe(24)
                    ssm.put_secure(name, found)
                values[(key, var)] = found
        return values

    def proxied_env(self) -> dict[str, str]:
        """Our environment, with `*.localhost` URLs reaching the router (see LocalAws.environment)."""
        proxy = {k: v for k, v in self.aws.environment().items() if "proxy" in k.lower()}
        return {**os.environ, **proxy}

    async def _deploy(self, stack: AsyncExitStack) -> None:
        # The very command a person runs (`nox -s deploy -- --all --env local`), in a child process:
        # the same code path, and Ctrl-C can stop it. It picks source images for a local environment.
        command = [sys.executable, "-c", "import sys; from expressway.cli import main; sys.exit(main())",
                   "--registry", str(self.options.registry),
                   "deploy", "--all", "--env", self.options.env]  # fmt: skip
        deploy = Child(self.line, "deploy")
        await deploy.spawn(command, dict(os.environ))
        stack.push_async_callback(self._stop_child, deploy)
        code = await deploy.wait()
        if code != 0:
            raise ExpresswayError(
                f"dev: deploying the fleet failed (exit code {code}); see the deploy lines above"
            )

    async def _simulator(self, stack: AsyncExitStack, key: str) -> None:
        """Demo data: simulated sensors posting through the router, restarted if they give up."""
        url = f"http://{self.specs['ingest'].host}:{self.options.port}"
        options = self.options
        command = [sys.executable, "-m", "homestack_ingest.simulate", "--url", url,
                   "--sensors", str(options.sensors), "--interval", str(options.interval)]  # fmt: skip
        env = {**self.proxied_env(), "INGEST_API_KEY": key}  # not in argv, where `ps` would show it
        current: list[Child] = []

        async def keep_running() -> None:
            while True:
                simulator = Child(self.line, "simulator")
                current[:] = [simulator]
                await simulator.spawn(command, env)
                code = await simulator.wait()
                self.line(f"simulator | [dev] exited with code {code}; restarting in 5s")
                await asyncio.sleep(5.0)

        task = asyncio.create_task(keep_running())

        async def stop() -> None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            for simulator in current:
                await simulator.stop(5.0)

        stack.push_async_callback(stop)

    def table(self) -> str:
        rows = [("SERVICE", "URL", "REVISION")]
        for key in self.registry.services:
            spec = self.specs.get(key)
            url = f"http://{spec.host}:{self.options.port}" if spec else "(not running)"
            rows.append((key, url, spec.revision.rsplit("/", 1)[-1] if spec else ""))
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        return "".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}".rstrip() + "\n" for r in rows)


async def run(options: DevOptions, registry: Registry, console: Console) -> int:
    """Run the local cloud until SIGINT/SIGTERM; ExpresswayError for anything a user can fix."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    cloud = LocalCloud(options, registry, console)
    try:
        async with AsyncExitStack() as stack:
            startup = asyncio.create_task(cloud.start(stack))
            if not await _first(startup, stop.wait(), cloud.wait_failed()):
                cloud.stopping = True
                console.progress("dev: stopping")
            else:
                console.data(cloud.table())
                front = "dashboard" if "dashboard" in cloud.specs else next(iter(cloud.specs), "")
                if front:
                    url = f"http://{cloud.specs[front].host}:{options.port}"
                    console.progress(f"dev: ready: open {url} in a browser (Ctrl-C stops everything)")
                await _first(asyncio.ensure_future(stop.wait()), cloud.wait_failed())
                cloud.stopping = True
                console.progress("dev: stopping")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    if cloud.failed.done():
        raise ExpresswayError(f"dev: {cloud.failed.result()}", hint="its last lines are above")
    console.progress("dev: stopped; no process left behind")
    return 0


async def _first(main: asyncio.Future[Any], *others: Awaitable[Any]) -> bool:
    """Wait until `main` or any of `others` ends; True when `main` did (its error is raised)."""
    waiters = [asyncio.ensure_future(other) for other in others]
    done, _ = await asyncio.wait([main, *waiters], return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
    if main in done:
        main.result()
        return True
    main.cancel()
    await asyncio.gather(main, return_exceptions=True)
    return False
