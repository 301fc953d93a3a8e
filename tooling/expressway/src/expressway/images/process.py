"""Running the external tools images need (uv, git, podman, docker) with errors a user can read."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from expressway.images.errors import ImageError

_TAIL_LINES = 15  # enough of a tool's stderr to see why it failed, without flooding a CI log


@dataclass(frozen=True)
class Completed:
    """What a finished command printed."""

    stdout: str
    stderr: str


class Runner(Protocol):
    """Runs one command; raises ImageError when it fails. Builders take one so tests can record."""

    def __call__(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        input_text: str | None = None,
        timeout: float = 900.0,
    ) -> Completed: ...


def require_tool(name: str, *, hint: str) -> str:
    """Return the full path of `name` on PATH, or fail saying what to install."""
    found = shutil.which(name)
    if found is None:
        raise ImageError(f"{name} not found: it is not on PATH", hint=hint)
    return found


def run(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
    timeout: float = 900.0,
) -> Completed:
    """Run a command to completion, capturing its output; a non-zero exit becomes an ImageError."""
    merged = {**os.environ, **env} if env is not None else None
    try:
        done = subprocess.run(  # noqa: S603 - argument lists, never a shell
            list(args),
            cwd=cwd,
            env=merged,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ImageError(f"`{args[0]}` failed: the program is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise ImageError(f"`{' '.join(args[:3])}` failed: no answer after {timeout:.0f}s") from exc
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-_TAIL_LINES:])
        raise ImageError(f"`{' '.join(args[:3])}` failed: exit code {done.returncode}\n{tail}".rstrip())
    return Completed(stdout=done.stdout, stderr=done.stderr)
