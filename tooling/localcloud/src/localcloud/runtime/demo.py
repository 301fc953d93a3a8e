"""Demo data for `expressway dev`: the secrets an operator would have created, seven days of history
and simulated sensors posting live, all through the router as outside devices would."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack

from expressway import registry as registry_module
from expressway.aws.ssm import Ssm
from expressway.registry import Registry

from . import seed
from .process import Child, LogSink


def ensure_secrets(registry: Registry, env: str) -> dict[tuple[str, str], str]:
    """Every SSM secret the registry declares exists in the emulator (a fresh random value the first
    time), as an operator would have created it before a first real deploy. (service, var) -> value."""
    ssm = Ssm(registry.environment(env))
    values: dict[tuple[str, str], str] = {}
    for key in registry.services:
        for var, ref in registry_module.resolve(registry, key, env).secrets.items():
            if not ref.startswith("ssm:"):
                continue
            name = "/" + ref.removeprefix("ssm:").lstrip("/")
            found = ssm.value(name)
            if found is None:
                found = secrets.token_urlsafe(24)
                ssm.put_secure(name, found)
            values[(key, var)] = found
    return values


class Demo:
    """Seeds history, then keeps simulated sensors posting (restarted if they give up)."""

    def __init__(self, line: LogSink, say: Callable[[str], None], router_port: int, sensors: int,
                 interval: float) -> None:  # fmt: skip
        self.line = line
        self.say = say
        self.sensors = sensors
        self.interval = interval
        proxy = f"http://127.0.0.1:{router_port}"  # devices are outside: the router's public side
        kept = {
            k: v
            for k, v in os.environ.items()
            if "proxy" not in k.lower() and not k.startswith("EXPRESSWAY_")
        }
        self.env = {**kept, "HTTP_PROXY": proxy, "http_proxy": proxy, "NO_PROXY": "127.0.0.1,::1"}

    async def seed(self, url: str, key: str) -> None:
        """The last 7 days of the simulated sensors, so the first page load shows real charts."""
        child = Child(self.line, "seed")
        await child.spawn(seed.command(url, self.sensors), {**self.env, "INGEST_API_KEY": key})
        if await child.wait() != 0:
            self.say("dev: the demo history was not (completely) stored; see the seed lines above")

    async def simulate(self, stack: AsyncExitStack, url: str, key: str) -> None:
        """Live readings through the router until the local cloud stops."""
        command = [sys.executable, "-m", "homestack_ingest.simulate", "--url", url,
                   "--sensors", str(self.sensors), "--interval", str(self.interval)]  # fmt: skip
        env = {**self.env, "INGEST_API_KEY": key}  # not in argv, where `ps` would show it
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
