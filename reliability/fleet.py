"""The whole fleet on loopback, from the bench plumbing: moto server, demo data, three uvicorn services."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psutil
from harness.dynamodb import FAKE_CREDENTIALS, local_dynamodb, use_fake_credentials
from harness.seed import seed
from harness.servers import uvicorn_app

SENSORS_TABLE = "reliability-sensors"
READINGS_TABLE = "reliability-readings"
# Test keys, and the other secrets the services hold: none may ever appear in a log line.
KEY = "reliability-key-7f3a9c2e11d04b6a"
OLD_KEY = "reliability-old-key-55e0c8a1b2d3"
CURSOR_KEY = "reliability-cursor-key-9b8a7c6d5e4f"
SECRETS = {"ingest key": KEY, "older ingest key": OLD_KEY, "cursor key": CURSOR_KEY}
# Children must never find a real identity either: fake keys, no profile, no config file.
AWS_ENV = {**FAKE_CREDENTIALS, "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}


@dataclass(frozen=True)
class Fleet:
    """Base URLs of the running services, the DynamoDB endpoint, the seeded sensor ids and the logs."""

    engine: str
    dynamodb: str
    sensors: str
    ingest: str
    dashboard: str
    sensor_ids: list[str]
    logs: Path

    def log_text(self) -> str:
        """Everything every service process has written so far (stdout and stderr)."""
        return "".join(path.read_text(errors="replace") for path in sorted(self.logs.glob("*.log")))


def service_env(dynamodb: str, **extra: str) -> dict[str, str]:
    """The environment a service process gets: local DynamoDB, the test tables, debug logs as JSON."""
    return {
        **AWS_ENV,
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb,
        "SENSOR_TABLE": SENSORS_TABLE,
        "READINGS_TABLE": READINGS_TABLE,
        "CURSOR_KEY": CURSOR_KEY,
        "APP_VERSION": "reliability",
        "LOG_LEVEL": "debug",
        "LOG_FORMAT": "json",
        **extra,
    }


def server_process(base_url: str) -> psutil.Process:
    """The uvicorn child of this process that serves `base_url` (found by its --port argument)."""
    port = str(urlsplit(base_url).port)
    for proc in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            argv = proc.cmdline()
            if "uvicorn" in argv and port in argv:
                return proc
    raise LookupError(f"no child process serves {base_url}")


@contextlib.contextmanager
def running_fleet(logs: Path) -> Iterator[Fleet]:
    use_fake_credentials()  # session fixtures start before the per-test fake-credentials fixture
    with contextlib.ExitStack() as stack:
        # DynamoDB Local where Java and npm are (CI installs them for the benches), else moto server.
        engine, dynamodb = stack.enter_context(local_dynamodb("auto"))
        ids = seed(dynamodb, sensors_table=SENSORS_TABLE, readings_table=READINGS_TABLE, sensors=12)
        env = service_env(dynamodb, INGEST_API_KEY=f"{KEY},{OLD_KEY}")
        sensors = stack.enter_context(
            uvicorn_app("homestack_sensors.app:app", env=env, log=logs / "sensors.log")
        )
        ingest = stack.enter_context(
            uvicorn_app("homestack_ingest.app:app", env=env, log=logs / "ingest.log")
        )
        dashboard = stack.enter_context(
            uvicorn_app(
                "homestack_dashboard.app:app",
                env={**env, "SENSORS_URL": sensors},
                log=logs / "dashboard.log",
            )
        )
        yield Fleet(engine, dynamodb, sensors, ingest, dashboard, ids, logs)
