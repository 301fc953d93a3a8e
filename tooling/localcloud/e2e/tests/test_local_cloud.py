"""End to end: `expressway dev` on free ports brings the fleet up, serves it through the router, survives
a redeploy under load without a failed request, and leaves no process behind when stopped."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from expressway.testing import free_port

ROOT = Path(__file__).resolve().parents[4]
CLI = "import sys; from expressway.cli import main; sys.exit(main())"
READY = re.compile(r"dev: ready: open (\S+)")
TABLE_ROW = re.compile(r"^(\w+) +(http://\S+\.localhost:\d+) ", re.M)


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=e2e", "-c", "user.email=e2e@localhost", *args],
        cwd=folder, check=True, capture_output=True,
    )  # fmt: skip


@dataclass
class Cloud:
    """A running `expressway dev` and what it needs to be talked to."""

    process: subprocess.Popen[bytes]
    registry: Path
    port: int
    aws_port: int
    log: Path
    members: set[int] = field(default_factory=set)
    urls: dict[str, str] = field(default_factory=dict)  # from the table `expressway dev` prints

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, service: str, path: str = "/") -> str:
        return self.urls.get(service, f"http://{service}.localhost:{self.port}") + path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`expressway ARGS` as a person runs it in another terminal (no proxy settings needed)."""
        return subprocess.run(
            [sys.executable, "-c", CLI, "--registry", str(self.registry), *args],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip


def descendants(pid: int) -> set[int]:
    """Every live process started under `pid` (its children may have moved to their own sessions)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    if shutil.which("git") is None:
        pytest.fail("git is needed: the deploy stamps the git version into every service")
    folder = tmp_path_factory.mktemp("fleet")
    port, aws_port = free_port(), free_port()
    text = (ROOT / "services.toml").read_text()
    text = re.sub(r'endpoint = "http://127\.0\.0\.1:\d+"', f'endpoint = "http://127.0.0.1:{aws_port}"', text)
    registry = folder / "services.toml"
    registry.write_text(text)
    git(folder, "init", "-q")
    git(folder, "add", "services.toml")
    git(folder, "commit", "-q", "-m", "fleet")
    log = folder / "dev.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-c", CLI, "--registry", str(registry), "dev", "--port", str(port),
             "--sensors", "2", "--interval", "0.5"],
            stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    running = Cloud(process, registry, port, aws_port, log)
    try:
        deadline = time.monotonic() + 240
        while not READY.search(running.output()):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = running.output()[-6000:]
                pytest.fail(f"expressway dev did not get ready (exit {process.poll()}):\n{tail}")
            time.sleep(0.5)
        running.members = descendants(process.pid)
        running.urls = dict(TABLE_ROW.findall(running.output()))
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # only when a test failed before the stop test
            for pid in descendants(process.pid) | running.members:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
            process.wait()


def eventually(check: Callable[[], Any], patience: float = 60.0) -> Any:
    deadline = time.monotonic() + patience
    while True:
        try:
            outcome = check()
        except (AssertionError, httpx.HTTPError):
            if time.monotonic() > deadline:
                raise
            outcome = None
        if outcome:
            return outcome
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.5)


def web(cloud: Cloud) -> httpx.Client:
    return httpx.Client(proxy=cloud.proxy, timeout=10, trust_env=False)


def test_dev_prints_every_service_with_its_localhost_url(cloud: Cloud) -> None:
    assert sorted(cloud.urls) == ["dashboard", "ingest", "sensors"], cloud.output()[-3000:]
    for url in cloud.urls.values():
        assert url.endswith(f".localhost:{cloud.port}")
    assert READY.search(cloud.output()).group(1) == cloud.url("dashboard", "")  # type: ignore[union-attr]


def test_the_sensors_api_lists_the_simulated_sensors(cloud: Cloud) -> None:
    with web(cloud) as client:

        def listed() -> list[Any]:
            found: list[Any] = client.get(cloud.url("sensors", "/sensors")).raise_for_status().json()
            return found

        sensors = eventually(listed)

    assert len(sensors) >= 1
    assert all("sensor_id" in sensor for sensor in sensors)


def test_the_dashboard_shows_the_simulated_readings(cloud: Cloud) -> None:
    with web(cloud) as client:
        sensors = eventually(lambda: client.get(cloud.url("sensors", "/sensors")).json())
        page = client.get(cloud.url("dashboard"))

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert sensors[0]["sensor_id"] in page.text


def test_ingest_rejects_a_reading_without_the_key(cloud: Cloud) -> None:
    reading = {"sensor_id": "intruder", "ts": "2026-11-26T10:00:00Z", "temperature": 21.5}
    with web(cloud) as client:
        response = client.post(cloud.url("ingest", "/readings"), json=reading)

    assert response.status_code == 401


def test_an_unknown_host_gets_the_router_page_listing_the_services(cloud: Cloud) -> None:
    with web(cloud) as client:
        response = client.get(cloud.url("nope"))

    assert response.status_code == 404
    for service in ("sensors", "ingest", "dashboard"):
        assert cloud.url(service) in response.text


def test_status_shows_the_local_fleet(cloud: Cloud) -> None:
    result = cloud.cli("status", "--env", "local")

    assert result.returncode == 0, result.stderr
    for service in ("sensors", "ingest", "dashboard"):
        assert service in result.stdout


def test_redeploying_sensors_under_load_fails_no_request(cloud: Cloud) -> None:
    outcomes: list[str] = []
    stop = threading.Event()

    def load() -> None:
        with web(cloud) as client:
            while not stop.is_set():
                try:
                    response = client.get(cloud.url("sensors", "/health"))
                    outcomes.append(str(response.json().get("version")) if response.status_code == 200
                                    else f"HTTP {response.status_code}")  # fmt: skip
                except httpx.HTTPError as error:
                    outcomes.append(f"{type(error).__name__}: {error}")

    git(cloud.registry.parent, "commit", "-q", "--allow-empty", "-m", "next version")
    version = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=cloud.registry.parent, capture_output=True, text=True, check=True
    ).stdout.strip()
    worker = threading.Thread(target=load)
    worker.start()
    try:
        time.sleep(1.0)
        result = cloud.cli("deploy", "sensors", "--env", "local")
        assert result.returncode == 0, result.stderr
        eventually(lambda: outcomes and outcomes[-1] == version)
        time.sleep(3.0)  # the old process drains and stops while the load goes on
    finally:
        stop.set()
        worker.join()

    failures = [outcome for outcome in outcomes if outcome.startswith(("HTTP", "Connect", "Read", "Remote"))]
    assert failures == []
    assert len(outcomes) > 20
    assert outcomes[-1] == version


def test_stopping_leaves_no_process_behind(cloud: Cloud) -> None:
    members = descendants(cloud.process.pid) | cloud.members
    assert len(members) >= 5  # emulator, three services, simulator

    os.killpg(cloud.process.pid, signal.SIGINT)  # what Ctrl-C in its terminal does
    code = cloud.process.wait(timeout=60)

    assert code == 0, cloud.output()[-3000:]
    assert "dev: stopped; no process left behind" in cloud.output()
    assert "Traceback" not in cloud.output()
    time.sleep(0.5)
    assert [pid for pid in members if alive(pid)] == []
    for port in (cloud.port, cloud.aws_port):  # nothing listens there any more
        with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
