"""Run an ASGI app under uvicorn in a child process on a free port, the way a service runs in production."""

from __future__ import annotations

import contextlib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from harness.processes import child, free_port, python


def _answers(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:  # loopback only: the bench's own child
        return bool(response.status == 200)


@contextlib.contextmanager
def uvicorn_app(
    app: str,
    *,
    env: dict[str, str] | None = None,
    ready_path: str = "/health",
    log: Path | None = None,
    timeout: float = 60.0,
) -> Iterator[str]:
    """Serve `app` ("module:attr") with one uvicorn worker (uvloop, httptools); yield its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [python(), "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", "1", "--loop", "uvloop", "--http", "httptools", "--no-access-log"]
    argv += ["--log-level", "warning", "--backlog", "2048"]
    with child(argv, env=env, ready=lambda: _answers(base + ready_path), what=app, timeout=timeout, log=log):
        yield base
