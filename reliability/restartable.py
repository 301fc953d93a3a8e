"""A uvicorn service on a fixed loopback port that a test can SIGKILL and start again, mid-traffic."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
from harness.processes import child, free_port, python


class Restartable:
    """One uvicorn app; `kill()` ends it without warning, `start()` brings it back on the same port."""

    def __init__(self, app: str, env: dict[str, str], logs: Path, name: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.argv = [python(), "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(self.port)]
        self.argv += ["--workers", "1", "--no-access-log"]
        self.env, self.logs, self.name = env, logs, name
        self.starts = 0
        self._stack = contextlib.ExitStack()
        self._proc: subprocess.Popen[bytes] | None = None

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False  # not listening yet

    def start(self) -> None:
        self.starts += 1
        log = self.logs / f"{self.name}-{self.starts}.log"  # one file per life: a restart must not truncate
        self._proc = self._stack.enter_context(
            child(self.argv, env=self.env, ready=self._ready, what=self.name, log=log)
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, requests in flight cut off (what an OOM kill or crash does)."""
        assert self._proc is not None
        os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait()
        self._stack.close()
        self._stack = contextlib.ExitStack()

    def restart(self) -> None:
        self.kill()
        self.start()

    @contextlib.contextmanager
    def running(self) -> Iterator[Restartable]:
        self.start()
        try:
            yield self
        finally:
            self._stack.close()
