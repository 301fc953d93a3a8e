"""A sensors API that answers too slowly or too much never holds the dashboard's visitors.

A real HTTP server on loopback plays the sensors API badly: it sends its body a byte every 2 s (each
read well inside the dashboard's 3 s read timeout, so only an overall deadline can end it), or it sends
a body that never ends, as fast as it can. The real dashboard app runs as a uvicorn process reading it;
three visitors ask for a page at once. Each must be answered within the load deadline plus a margin,
with a page that says the data is unavailable (or, when only the histories are slow, the sensors
without their trends), never a page that waits as long as the API likes.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from harness.servers import uvicorn_app

from reliability.figures import Figures
from reliability.fleet import AWS_ENV

DEADLINE = 3.0  # LOAD_DEADLINE_SECONDS given to the dashboard here
VISITORS = 3
# A visitor gives up after this: far past what a bounded dashboard needs, short enough that the
# unbounded one fails the test quickly instead of hanging it.
PATIENCE = 25.0
# What a bounded dashboard may need: the snapshot load and then the histories, each within the deadline,
# plus rendering and a loaded 2-CPU machine.
ALLOWED = 2 * DEADLINE + 4.0
DRIBBLE_EVERY = 2.0


def _snapshots(count: int) -> bytes:
    now = datetime.now(UTC).isoformat()
    items = [
        {"sensor_id": f"room-{i}", "name": f"Room {i}", "ts": now, "values": {"temperature": 20.0 + i}}
        for i in range(count)
    ]
    return json.dumps(items).encode()


class BadSensorsApi(socketserver.ThreadingTCPServer):
    """Answers every GET in `mode`: `dribble` (a byte every 2 s), `endless` (a body that never ends), or
    `slow-history` (snapshots at once, readings dribbled)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.stopping = threading.Event()
        self.requests = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(socketserver.BaseRequestHandler):
    server: BadSensorsApi

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(1.0)
        head = b""
        while b"\r\n\r\n" not in head:
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                if self.server.stopping.is_set():
                    return
                continue
            if not chunk:
                return
            head += chunk
        self.server.requests += 1
        path = head.split(b" ", 2)[1].split(b"?")[0]
        try:
            if self.server.mode == "endless":
                self._endless(sock)
            elif self.server.mode == "slow-history" and not path.endswith(b"/readings"):
                body = _snapshots(12) if path == b"/sensors" else b"{}"
                head_out = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
                sock.sendall(head_out.encode() + b"\r\nConnection: close\r\n\r\n" + body)
            else:
                self._dribble(sock)
        except OSError:
            return  # the dashboard hung up: what a bounded client does

    def _dribble(self, sock: socket.socket) -> None:
        body = b"[" + b" " * 100_000 + b"]"
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        sock.sendall(f"Content-Length: {len(body)}\r\n\r\n".encode())
        for byte in body:
            sock.sendall(bytes([byte]))
            if self.server.stopping.wait(DRIBBLE_EVERY):
                return

    def _endless(self, sock: socket.socket) -> None:
        sock.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        item = json.dumps({"sensor_id": "x" * 200, "ts": None, "values": {}}).encode() + b","
        chunk = b"[" + item * 300
        while not self.server.stopping.is_set():
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            chunk = item * 300


@pytest.fixture
def bad_api(request: pytest.FixtureRequest) -> Iterator[BadSensorsApi]:
    server = BadSensorsApi(request.param)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield server
    server.stopping.set()
    server.shutdown()
    server.server_close()


def _visit(url: str) -> tuple[float, int, str]:
    started = time.monotonic()
    try:
        response = httpx.get(url, timeout=PATIENCE)
    except httpx.TimeoutException:
        return time.monotonic() - started, 0, "no answer"
    return time.monotonic() - started, response.status_code, response.text


@pytest.mark.parametrize(
    ("bad_api", "path", "expected"),
    [
        ("dribble", "/", "Sensor data is unavailable right now."),
        ("dribble", "/sensors/room-1", "Sensor data is unavailable right now."),
        ("endless", "/", "Sensor data is unavailable right now."),
        ("slow-history", "/", "Room 11"),
    ],
    indirect=["bad_api"],
)
def test_visitors_are_answered_within_the_deadline_whatever_the_sensors_api_does(
    bad_api: BadSensorsApi, path: str, expected: str, tmp_path: Path, figures: Figures
) -> None:
    env = {
        **AWS_ENV,
        "SENSORS_URL": bad_api.url,
        "LOAD_DEADLINE_SECONDS": str(DEADLINE),
        "LOG_FORMAT": "json",
    }
    app = "homestack_dashboard.app:app"
    with uvicorn_app(app, env=env, log=tmp_path / "dashboard.log") as dashboard, ThreadPoolExecutor() as pool:
        visits = list(pool.map(_visit, [dashboard + path] * VISITORS))

    waits = [round(seconds, 1) for seconds, _, _ in visits]
    figures.count("faults injected")
    figures.note(
        f"dashboard {path} over a sensors API in mode {bad_api.mode}: visitors answered in {waits} s"
    )
    for seconds, status, text in visits:
        assert status == 200, f"a visitor waited {seconds:.1f} s and got {status}: {text[:200]}"
        assert seconds <= ALLOWED, f"a visitor waited {seconds:.1f} s (allowed {ALLOWED:.0f} s)"
        assert expected in text
