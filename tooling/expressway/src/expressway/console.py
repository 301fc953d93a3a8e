"""Where output goes: data to stdout, progress and errors to stderr, colour only when wanted."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from expressway.errors import ExpresswayError


class Console:
    """The CLI's two streams; plain lines that read well in CI logs (no TTY needed)."""

    def __init__(
        self, out: TextIO | None = None, err: TextIO | None = None, *, json_events: bool = False
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.json_events = json_events
        self.color = "NO_COLOR" not in os.environ and self.out.isatty()

    def data(self, text: str) -> None:
        """Write data (plans, tables, JSON) to stdout."""
        self.out.write(text)
        self.out.flush()

    def progress(self, message: str, **fields: Any) -> None:
        """One progress line on stderr (a JSON event with --json)."""
        if self.json_events:
            self.err.write(json.dumps({"event": message, **fields}, default=str) + "\n")
        else:
            self.err.write(f"{message}\n")
        self.err.flush()

    def error(self, exc: ExpresswayError) -> None:
        """`error: {what}: {why}` and, after a blank line, `hint: ...`."""
        self.err.write(f"error: {exc.message}\n")
        if exc.hint:
            self.err.write(f"\nhint: {exc.hint}\n")
        self.err.flush()
