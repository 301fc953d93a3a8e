"""`expressway dev`: the emulated AWS endpoint (signed requests, IAM evaluated), the deployer identity
with exactly `expressway policy`'s policy, the fleet deployed by that identity the real way, the agent
running every task, the router in front, demo history and live sensors; Ctrl-C stops it all.

A service that fails to deploy does not stop the rest: `dev: ready` names it and why, and a later
deploy of the fixed service joins the running fleet, as does a service added while `dev` runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import Awaitable
from contextlib import AsyncExitStack
from typing import Any

from expressway import registry as registry_module
from expressway.aws import local_state, session
from expressway.aws.elbv2 import Elbv2
from expressway.aws.iam import Iam
from expressway.aws.sts import identity
from expressway.console import Console
from expressway.deploy.prerequisites import ensure_boundary
from expressway.errors import ExpresswayError, UsageError
from expressway.plan.arns import Arns
from expressway.plan.deployer_policy import deployer_policy
from expressway.registry import Names, Registry

from . import demo, deploying, emulator
from .agent import Agent
from .control import ControlError
from .deploying import Outcome, deploy_all
from .options import DevOptions, check_port, endpoint_of
from .process import Child
from .router import Router, server
from .routes import read_routes


class LocalCloud:
    """Starts the pieces in order; each one's cleanup is pushed on one exit stack."""

    def __init__(self, options: DevOptions, registry: Registry, console: Console) -> None:
        self.options = options
        self.registry = registry
        self.console = console
        self.environment = registry.environment(options.env)
        self.host, self.aws_port = endpoint_of(self.environment, options.env)
        self.endpoint = f"http://{self.host}:{self.aws_port}"
        self.prefix = Names.of(registry, options.env).prefix + "-"
        self.failed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.stopping = False  # children exiting from here on were asked to
        self.outcomes: list[Outcome] = []
        self._policy: dict[str, Any] | None = None
        self._registry_mtime = 0.0

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
        check_port(self.host, self.aws_port, "the emulated AWS endpoint",
                   "move the endpoint with EXPRESSWAY_LOCAL_ENDPOINT=http://127.0.0.1:<port>")  # fmt: skip
        check_port("127.0.0.1", options.port, "the router", "pick another with --port")
        self.console.progress(f"dev: starting the emulated AWS endpoint on {self.endpoint}")
        started = await emulator.start(self.host, self.aws_port, options.port, self.prefix, self.line)
        child, self.control = started[0], started[2]
        stack.push_async_callback(self._stop_child, child)
        stack.push_async_callback(self.control.close)
        self._on_exit(stack, child, "the emulated AWS endpoint")
        # This process acts for AWS itself (ECS, the ALB): the session's runtime identity.
        os.environ[local_state.IDENTITY_VAR] = "runtime"
        await self._apply_deployer_policy()
        vpc_port = await self._router(stack)
        plumbing = {
            "AWS_ENDPOINT_URL": self.endpoint,
            # `<service>.localhost` does not resolve everywhere outside browsers; clients that honour
            # HTTP_PROXY (httpx, requests, botocore) send such requests to the router's VPC side, which
            # routes them by Host like any other (private endpoints included). The emulator is direct.
            "HTTP_PROXY": f"http://127.0.0.1:{vpc_port}",
            "http_proxy": f"http://127.0.0.1:{vpc_port}",
            "NO_PROXY": "127.0.0.1,::1",
            "no_proxy": "127.0.0.1,::1",
            # a task gets the credentials of its task role or none, never the developer's files
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        base = {**os.environ, "LOG_FORMAT": "text"}  # people read these lines; a task's own wins
        agent = Agent(self.control, options.registry.parent, self.line, plumbing=plumbing, base_env=base,
                      label=lambda name: name.removeprefix(self.prefix))  # fmt: skip
        running = asyncio.create_task(agent.run())
        stack.push_async_callback(agent.stop)
        stack.callback(running.cancel)
        watcher = asyncio.create_task(self._watch_registry())
        stack.callback(watcher.cancel)
        keys = await asyncio.to_thread(demo.ensure_secrets, self.registry, options.env)
        self.console.progress(f"dev: deploying {', '.join(self.registry.services)} to {options.env}")
        deployer = {**os.environ, local_state.IDENTITY_VAR: "deployer"}
        _, self.outcomes = await deploy_all(options.registry, options.env, deployer, self.line)
        ingest_key = keys.get(("ingest", "INGEST_API_KEY"))
        ingest = self.url("ingest")
        if options.simulate and ingest_key and ingest:
            data = demo.Demo(
                self.line, self.console.progress, options.port, options.sensors, options.interval
            )
            await data.seed(ingest, ingest_key)
            await data.simulate(stack, ingest, ingest_key)

    def url(self, service: str) -> str | None:
        return deploying.url(self.outcomes, service)

    def _on_exit(self, stack: AsyncExitStack, child: Child, what: str) -> None:
        async def watch() -> None:
            code = await child.wait()
            self._fail(f"{what} exited with code {code}")

        stack.callback(asyncio.create_task(watch()).cancel)

    async def _apply_deployer_policy(self) -> None:
        """The deployer identity gets exactly the policy `expressway policy` prints for this registry
        (again whenever services.toml changes, as an operator would update the deployer's role)."""
        who = await asyncio.to_thread(identity, self.environment)
        arns = Arns(who.partition, self.environment.region, who.account)
        policy = deployer_policy(self.registry, self.options.env, arns)
        # and, as the administrator, the roles' permissions boundary the deployer must set on them
        iam = Iam(self.environment)
        await asyncio.to_thread(ensure_boundary, iam, self.registry, self.options.env, arns)
        if policy != self._policy:
            await self.control.identity("deployer", policy)
            self._policy = policy

    async def _watch_registry(self) -> None:
        path = self.options.registry
        self._registry_mtime = path.stat().st_mtime
        while True:
            await asyncio.sleep(1.0)
            with contextlib.suppress(OSError):
                mtime = path.stat().st_mtime
                if mtime == self._registry_mtime:
                    continue
                self._registry_mtime = mtime
                try:
                    self.registry = registry_module.load(path)
                    await self._apply_deployer_policy()
                except (ExpresswayError, ControlError) as error:
                    self.console.progress(f"dev: services.toml changed but was not applied: {error}")

    async def _router(self, stack: AsyncExitStack) -> int:
        """The router on the host's port (public endpoints) and on a VPC port (for the tasks)."""
        host_socket, vpc_socket = _bind(self.options.port), _bind(0)
        vpc_port = int(vpc_socket.getsockname()[1])
        elbv2 = Elbv2(self.environment)
        router = Router(lambda: read_routes(elbv2), interval=0.5, vpc_ports=frozenset({vpc_port}))
        uvicorn_server = server(router, self.options.port)
        task = asyncio.create_task(uvicorn_server.serve(sockets=[host_socket, vpc_socket]))

        async def stop() -> None:
            uvicorn_server.should_exit = True
            await asyncio.gather(task, return_exceptions=True)

        stack.push_async_callback(stop)
        while not uvicorn_server.started:
            if task.done():
                raise UsageError(f"dev: the router could not listen on 127.0.0.1:{self.options.port}")
            await asyncio.sleep(0.02)
        return vpc_port

    def table(self) -> str:
        return deploying.table(list(self.registry.services), self.outcomes)

    def ready_line(self) -> str:
        return deploying.ready_line(self.outcomes)


def _bind(port: int) -> socket.socket:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("127.0.0.1", port))
    except OSError as error:
        listener.close()
        raise UsageError(f"dev: the router cannot listen on 127.0.0.1:{port}: {error.strerror}") from None
    listener.listen(128)
    return listener


async def run(options: DevOptions, registry: Registry, console: Console) -> int:
    """Run the local cloud until SIGINT/SIGTERM; ExpresswayError for anything a user can fix."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    cloud = LocalCloud(options, registry, console)
    identity_before = os.environ.get(local_state.IDENTITY_VAR)
    try:
        async with AsyncExitStack() as stack:
            startup = asyncio.create_task(cloud.start(stack))
            if not await _first(startup, stop.wait(), cloud.wait_failed()):
                cloud.stopping = True
                console.progress("dev: stopping")
            else:
                console.data(cloud.table())
                console.progress(cloud.ready_line())
                await _first(asyncio.ensure_future(stop.wait()), cloud.wait_failed())
                cloud.stopping = True
                console.progress("dev: stopping")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        session.reset()
        if identity_before is None:
            os.environ.pop(local_state.IDENTITY_VAR, None)
        else:
            os.environ[local_state.IDENTITY_VAR] = identity_before
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
