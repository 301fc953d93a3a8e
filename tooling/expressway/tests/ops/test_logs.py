"""`expressway logs`: CloudWatch lines of a service, readable columns or raw JSON, and --follow."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from expressway.aws.logs import Logs
from expressway.cli import main
from expressway.deploy.waiting import Clock
from expressway.ops.logs import tail
from expressway.registry import Registry

GROUP = "/expressway/homestack/prod/sensors"


def _put(*messages: str, at: datetime | None = None, stream: str = "ecs/Main/task-1") -> None:
    logs = boto3.client("logs")
    if not logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=stream)["logStreams"]:
        logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
    when = int((at or datetime.now(UTC)).timestamp() * 1000)
    events: Any = [{"timestamp": when + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=events)


@pytest.fixture
def group(aws: None) -> None:
    boto3.client("logs").create_log_group(logGroupName=GROUP)


ACCESS = json.dumps({"ts": "2026-11-26T10:00:05.250+00:00", "level": "info", "service": "sensors",
                     "logger": "homestack.access", "message": "GET /sensors 200", "request_id": "r-1",
                     "status": 200, "duration_ms": 3.5})  # fmt: skip


def test_logs_prints_readable_columns_from_the_service_log_group(
    group: None, registry_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _put("old line", at=datetime.now(UTC) - timedelta(hours=2))
    _put(ACCESS, "INFO:     Started server process [1]")
    assert main(["--registry", str(registry_file), "logs", "sensors", "--env", "prod", "--since", "1h"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "10:00:05.250 INFO    GET /sensors 200  200 3.5ms  request_id=r-1"
    assert lines[1].endswith("         INFO:     Started server process [1]")
    assert len(lines) == 2


def test_logs_json_passes_the_lines_through_raw(
    group: None, registry_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _put(ACCESS, "plain")
    assert main(["--registry", str(registry_file), "logs", "sensors", "--env", "prod", "--json"]) == 0
    assert capsys.readouterr().out == f"{ACCESS}\nplain\n"


def test_logs_of_a_service_never_deployed_says_so(
    aws: None, registry_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--registry", str(registry_file), "logs", "ingest", "--env", "prod"]) == 1
    err = capsys.readouterr().err
    assert "error: logs: log group /expressway/homestack/prod/ingest does not exist" in err
    assert "hint: the service has not been deployed to this environment yet" in err


def test_follow_prints_new_lines_once_as_they_arrive(group: None, reg: Registry) -> None:
    _put("first")
    arriving = [["second", "third"], [], ["fourth"]]
    polls: list[int] = []

    def sleep(_: float) -> None:
        polls.append(1)
        if arriving:
            batch = arriving.pop(0)
            if batch:
                _put(*batch)

    out: list[str] = []
    logs = Logs(reg.environment("prod"))
    since = datetime.now(UTC) - timedelta(minutes=1)
    count = tail(logs, GROUP, since, out.append, raw=True, follow=True, clock=Clock(sleep=sleep),
                 until=lambda: len(polls) >= 4)  # fmt: skip
    assert out == ["first", "second", "third", "fourth"]
    assert count == 4
