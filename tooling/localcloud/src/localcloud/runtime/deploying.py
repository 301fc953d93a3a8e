"""`expressway deploy --all --json` as a child process, run as the deployer: its progress on the dev
console, its summary (which services deployed, which failed and why) read from its stdout."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .process import LogSink

CLI = "import sys; from expressway.cli import main; sys.exit(main())"


@dataclass(frozen=True)
class Outcome:
    """How one service's deploy ended."""

    service: str
    ok: bool
    url: str | None
    why: str  # empty when it deployed


def _event(line: str) -> str:
    """A JSON progress event as the line a person reads."""
    try:
        event: Any = json.loads(line)
    except ValueError:
        return line
    if not isinstance(event, dict):
        return line
    extra = " ".join(f"{k}={v}" for k, v in event.items() if k != "event")
    return f"{event.get('event', '')} {extra}".strip()


async def deploy_all(
    registry: Path, env: str, environment: Mapping[str, str], log: LogSink, services: list[str] | None = None
) -> tuple[int, list[Outcome]]:
    """Deploy every service (or `services`); (exit code, one outcome per service it tried)."""
    targets = services if services else ["--all"]
    command = [
        sys.executable,
        "-c",
        CLI,
        "--registry",
        str(registry),
        "deploy",
        *targets,
        "--env",
        env,
        "--json",
    ]
    process = await asyncio.create_subprocess_exec(
        *command, env=dict(environment), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stderr is not None

    async def progress() -> None:
        assert process.stderr is not None
        async for raw in process.stderr:
            log(f"deploy | {_event(raw.decode(errors='replace').rstrip())}")

    try:
        output, _ = await asyncio.gather(process.stdout.read(), progress())
        code = await process.wait()
    except asyncio.CancelledError:
        if process.returncode is None:
            process.terminate()
            await process.wait()
        raise
    return code, _outcomes(output.decode(errors="replace"))


def _outcomes(output: str) -> list[Outcome]:
    try:
        summary = json.loads(output)
    except ValueError:
        return []
    found = []
    for item in summary.get("services", []) if isinstance(summary, dict) else []:
        ok = item.get("status") in ("deployed", "no-change")
        why = "" if ok else str(item.get("detail") or item.get("status") or "did not deploy")
        found.append(Outcome(str(item.get("service")), ok, item.get("url"), why))
    return found
