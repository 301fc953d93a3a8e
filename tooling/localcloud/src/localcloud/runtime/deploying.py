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


def url(outcomes: list[Outcome], service: str) -> str | None:
    return next((o.url for o in outcomes if o.service == service and o.ok), None)


def table(services: list[str], outcomes: list[Outcome]) -> str:
    """SERVICE / URL / STATE, one row per registry service, as `dev` prints it when ready."""
    rows = [("SERVICE", "URL", "STATE")]
    for key in services:
        found = next((o for o in outcomes if o.service == key), None)
        if found is not None and found.ok and found.url:
            rows.append((key, found.url, "running"))
        else:
            rows.append((key, "(not running)", "FAILED" if found else "not deployed"))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return "".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}".rstrip() + "\n" for r in rows)


def ready_line(outcomes: list[Outcome]) -> str:
    """`dev: ready: open <url> ...`, naming every service that did not deploy and why."""
    front = next((s for s in ("dashboard", "ingest", "sensors") if url(outcomes, s)), None)
    front = front or next((o.service for o in outcomes if o.ok), None)
    opening = f"open {url(outcomes, front)} in a browser" if front else "no service is running"
    failed = [o for o in outcomes if not o.ok]
    line = f"dev: ready: {opening} (Ctrl-C stops everything)"
    if failed:
        named = "; ".join(f"{o.service}: {o.why}" for o in failed)
        line += f"; {len(failed)} of {len(outcomes)} services failed to deploy: {named}"
    return line
