"""The emulated AWS endpoint as the local cloud runs it: `python -m localcloud.server` in a child, with
authentication on, tasks run by the local agent, and its session (keys, control token) read back
from the owner-only state file once it answers."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Callable

from expressway.aws import local_state
from expressway.errors import ExpresswayError

from .control import Control
from .process import Child, LogSink

# A request line in the emulator's werkzeug log: one per AWS call, far too many to show.
_REQUEST_LOG = re.compile(r'"[A-Z]+ \S+ HTTP/1\.[01]" \d{3} ')
_COLOR = re.compile(r"\x1b\[[0-9;]*m")  # werkzeug colours the status in a terminal


async def start(
    host: str, port: int, router_port: int, strip_prefix: str, log: LogSink
) -> tuple[Child, local_state.LocalState, Control]:
    """Start the emulator and wait until its session is published and it answers."""

    def quiet(text: str) -> None:
        if not _REQUEST_LOG.search(_COLOR.sub("", text)):
            log(text)

    endpoint = f"http://{host}:{port}"
    path = local_state.state_path(endpoint)
    emulator = Child(quiet, "aws")
    command = [sys.executable, "-m", "localcloud.server", "--host", host, "--port", str(port),
               "--local-port", str(router_port), "--local-strip-prefix", strip_prefix,
               "--tasks", "agent", "--state-file", str(path)]  # fmt: skip
    # No instance needs moto's default AMIs (the server loads the AWS managed policies itself).
    await emulator.spawn(command, {**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"})
    state = await _session(emulator, endpoint, path.exists)
    control = Control(endpoint, state.control_token)
    for _ in range(600):
        if await control.ready():
            return emulator, state, control
        await asyncio.sleep(0.1)
    await control.close()
    raise ExpresswayError(f"dev: the emulated AWS endpoint did not answer on {endpoint} within 60s")


async def _session(emulator: Child, endpoint: str, published: Callable[[], bool]) -> local_state.LocalState:
    for _ in range(600):
        if emulator.returncode is not None:
            raise ExpresswayError(f"dev: the emulated AWS endpoint exited with code {emulator.returncode}")
        if published():
            try:
                state = local_state.read(endpoint, "dev")
            except ExpresswayError:
                state = None  # a file an earlier session left behind; ours replaces it
            if state is not None and state.pid == emulator.pid:
                return state
        await asyncio.sleep(0.1)
    raise ExpresswayError(f"dev: the emulated AWS endpoint published no session within 60s ({endpoint})")
