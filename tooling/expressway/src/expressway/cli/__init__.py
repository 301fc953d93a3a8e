"""`expressway`: parse -> load registry -> pick environment and targets -> run the verb (cli/commands.py)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from expressway.cli.commands import run
from expressway.cli.wiring import DeployerFactory
from expressway.console import Console
from expressway.errors import ExpresswayError


def main(
    argv: Sequence[str] | None = None, console: Console | None = None, factory: DeployerFactory | None = None
) -> int:
    """Entry point: exit 1 with `error: ...` and a hint for anything a user or AWS caused."""
    console = console or Console()
    try:
        return run(sys.argv[1:] if argv is None else argv, console, factory)
    except ExpresswayError as exc:
        console.error(exc)
        return 1
    except KeyboardInterrupt:
        console.err.write("interrupted: re-run the same command; every step is idempotent\n")
        return 130
