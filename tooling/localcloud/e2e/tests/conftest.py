"""One `expressway dev` for the whole end-to-end session, in a git copy of this workspace (so tests can
commit, edit services.toml and add a service without touching the checkout), on free ports moved with
EXPRESSWAY_LOCAL_ENDPOINT and --port, with its session state in a folder of its own. Its registry has
a fourth service, `broken`, whose health path does not exist: the local cloud must come up without it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from expressway.aws import local_state
from expressway.testing import free_port

ROOT = Path(__file__).resolve().parents[4]
CLI = "import sys; from expressway.cli import main; sys.exit(main())"
READY = re.compile(r"^dev: ready: open (\S+) .*$", re.M)
TABLE_ROW = re.compile(r"^(\w+) +(http://\S+\.localhost:\d+) ", re.M)
BROKEN = """
[services.broken]                        # e2e: a service whose health path does not exist
path = "e2e/broken"
app = "homestack_sensors.app:app"
port = 8000
health = "/nope"
cpu = 256
memory = 512
scaling = { min = 1, max = 1, metric = "cpu", target = 60 }
env = { SENSOR_TABLE = "${tables.sensors.name}", READINGS_TABLE = "${tables.readings.name}" }
secrets = { CURSOR_KEY = "ssm:/homestack/sensors/cursor-key" }
tables = { sensors = "read", readings = "read" }
"""


_FIGURES = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_FIGURES] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """The figures the session measured, after the run (a red run still shows what it saw)."""
    terminalreporter.section("local cloud figures")
    for line in config.stash[_FIGURES]:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def figures(pytestconfig: pytest.Config) -> list[str]:
    """Append a line to print it in the session's figures."""
    return pytestconfig.stash[_FIGURES]


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=e2e", "-c", "user.email=e2e@localhost", *args],
        cwd=folder, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout.strip()


@dataclass
class Cloud:
    """A running `expressway dev` and what it needs to be talked to."""

    process: subprocess.Popen[bytes]
    workspace: Path
    port: int
    aws_port: int
    env: dict[str, str]  # what every command of the session runs with (endpoint, state folder)
    log: Path
    ready_seconds: float = 0.0
    members: set[int] = field(default_factory=set)
    urls: dict[str, str] = field(default_factory=dict)  # from the table `expressway dev` prints

    @property
    def registry(self) -> Path:
        return self.workspace / "services.toml"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, service: str, path: str = "/") -> str:
        return self.urls.get(service, f"http://{service}.localhost:{self.port}") + path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`expressway ARGS` as a person runs it in another terminal of this checkout."""
        return subprocess.run(
            [sys.executable, "-c", CLI, "--registry", str(self.registry), *args],
            capture_output=True, text=True, timeout=timeout, check=False, env=self.env,
        )  # fmt: skip

    def edit_registry(self, old: str, new: str) -> None:
        text = self.registry.read_text()
        assert old in text, old
        self.registry.write_text(text.replace(old, new, 1))


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


def copy_workspace(target: Path) -> None:
    """The files git would see in this checkout (tracked, or new and not ignored), committed anew."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    # the sensors service again, outside the workspace's members, for a service that cannot deploy
    shutil.copytree(target / "services" / "sensors", target / "e2e" / "broken")
    (target / "services.toml").write_text((target / "services.toml").read_text() + BROKEN)
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "fleet")


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    if shutil.which("git") is None:
        pytest.fail("git is needed: the deploy stamps the git version into every service")
    workspace = tmp_path_factory.mktemp("workspace")
    copy_workspace(workspace)
    state = tmp_path_factory.mktemp("state")
    state.chmod(0o700)
    port, aws_port = free_port(), free_port()
    env = {
        **os.environ,
        "EXPRESSWAY_STATE_DIR": str(state),
        "EXPRESSWAY_LOCAL_ENDPOINT": f"http://127.0.0.1:{aws_port}",
    }
    for stale in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
    ):
        env.pop(stale, None)
    log = workspace.parent / f"{workspace.name}-dev.log"
    started = time.monotonic()
    with log.open("wb") as sink:
        command = [sys.executable, "-c", CLI, "--registry", str(workspace / "services.toml"), "dev",
                   "--port", str(port), "--sensors", "2", "--interval", "0.5"]  # fmt: skip
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
    running = Cloud(process, workspace, port, aws_port, env, log)
    try:
        deadline = time.monotonic() + 300
        while not READY.search(running.output()):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = running.output()[-8000:]
                pytest.fail(f"expressway dev did not get ready (exit {process.poll()}):\n{tail}")
            time.sleep(0.25)
        running.ready_seconds = time.monotonic() - started
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


def session_state(cloud: Cloud) -> dict[str, Any]:
    """The running local cloud's state file (keys, control token), from the session's own folder."""
    name = local_state.state_path(cloud.endpoint).name
    found: dict[str, Any] = json.loads((Path(cloud.env["EXPRESSWAY_STATE_DIR"]) / name).read_text())
    return found


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
