"""Child processes of the local cloud: each in its own process group, output prefixed line by line, dying
with its parent; a task's app as a uvicorn process on its own loopback address."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import itertools
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence

LogSink = Callable[[str], None]


# Each process gets its own loopback address, as each Fargate task gets its own IP: targets are
# then distinct (moto keys an ELBv2 target by its Id alone). Where only 127.0.0.1 exists (macOS),
# every process shares it and a new target simply replaces the old one.
_next_host = itertools.cycle(range(2, 255))
_shared_only = False


def free_endpoint() -> tuple[str, int]:
    """A loopback address and a port on it that nothing listens on right now."""
    global _shared_only
    for _ in range(253):
        address = "127.0.0.1" if _shared_only else f"127.0.0.{next(_next_host)}"
        with socket.socket() as probe:
            try:
                probe.bind((address, 0))
            except OSError as error:
                if error.errno != errno.EADDRNOTAVAIL:
                    raise
                _shared_only = True
                continue
            return address, int(probe.getsockname()[1])
    raise OSError("no free loopback port")


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the process that started it dies (Linux only), so
    even a killed `expressway dev` leaves no service behind."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


class Child:
    """A started child process in its own process group, its output prefixed line by line."""

    def __init__(self, log: LogSink, prefix: str) -> None:
        self._log = log
        self._prefix = prefix
        self._process: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None
        self.started_at = 0.0

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.returncode

    async def spawn(self, command: Sequence[str], env: Mapping[str, str]) -> None:
        self._process = await asyncio.create_subprocess_exec(
            *command,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping it stops all it started
            preexec_fn=_die_with_parent,  # only a prctl call: safe between fork and exec
        )
        self.started_at = time.monotonic()
        self._pump = asyncio.create_task(self._pump_lines())

    async def _pump_lines(self) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        async for raw in self._process.stdout:
            self._log(f"{self._prefix} | {raw.decode(errors='replace').rstrip()}")

    async def wait(self) -> int:
        """Wait until the process exits; its exit code."""
        assert self._process is not None, "not started"
        code = await self._process.wait()
        if self._pump is not None:
            await asyncio.gather(self._pump, return_exceptions=True)
        return code

    async def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the process group (uvicorn drains in-flight requests), SIGKILL after `grace`."""
        if self._process is None:
            return
        if self._process.returncode is None:
            _signal_group(self._process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(self.wait(), grace)
            except TimeoutError:
                _signal_group(self._process.pid, signal.SIGKILL)
        await self.wait()
        # anything the process left in its group (it should have none) goes with it
        _signal_group(self._process.pid, signal.SIGKILL)


class TaskProcess(Child):
    """A uvicorn process serving one task's app on its own loopback address."""

    def __init__(self, app: str, address: str, port: int, log: LogSink, prefix: str) -> None:
        super().__init__(log, prefix)
        self.app = app
        self.address = address
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"

    async def start(self, env: Mapping[str, str]) -> None:
        command = [
            sys.executable, "-m", "uvicorn", self.app,
            "--host", self.address, "--port", str(self.port),
            "--no-access-log",  # the services log each request themselves
            "--timeout-graceful-shutdown", "10",
        ]  # fmt: skip
        await self.spawn(command, env)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
