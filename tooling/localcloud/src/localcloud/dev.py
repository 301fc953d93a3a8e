"""`expressway dev`: the entry point expressway's CLI loads when (and only when) the local cloud runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from expressway.console import Console
from expressway.errors import UsageError
from expressway.registry import Registry
from localcloud.runtime.cloud import run
from localcloud.runtime.options import DevOptions


def run_dev(
    path: Path,
    registry: Registry,
    console: Console,
    *,
    env: str = "local",
    port: int = 8080,
    simulate: bool = True,
    sensors: int = 3,
    interval: float = 2.0,
) -> int:
    """Run the local cloud until Ctrl-C or SIGTERM; UsageError for options that cannot work."""
    if not 0 < port < 65536:
        raise UsageError(f"dev: --port {port} is not a TCP port", hint="use 1-65535, e.g. --port 8080")
    if sensors < 1 or interval <= 0:
        raise UsageError("dev: --sensors must be at least 1 and --interval above 0")
    options = DevOptions(
        registry=path, env=env, port=port, simulate=simulate, sensors=sensors, interval=interval
    )
    return asyncio.run(run(options, registry, console))
