"""Deploys into the running local cloud fail the way AWS fails them and succeed only when the service
serves: a permission the task role lacks is AccessDenied in the service's logs, a health check that
fails rolls back while the old revision keeps answering, a rollback runs the old code, a fixed service
joins, and a service added to the workspace is installed and started."""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3
import httpx

from .conftest import Cloud, eventually, git, session_state, web

READING = {"sensor_id": "e2e-no-table", "ts": "", "values": {"temperature": 21.5}}


def developer(cloud: Cloud, service: str) -> Any:
    """A client with the session's developer key (what `local-env` prints)."""
    keys = session_state(cloud)["identities"]["developer"]
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=cloud.endpoint,
        region_name="eu-west-1",
        aws_access_key_id=keys["access_key_id"],
        aws_secret_access_key=keys["secret_access_key"],
    )


def ingest_key(cloud: Cloud) -> str:
    ssm = developer(cloud, "ssm")
    return str(ssm.get_parameter(Name="/homestack/ingest/api-key", WithDecryption=True)["Parameter"]["Value"])


def test_a_table_the_task_role_lacks_is_access_denied_in_the_services_logs(cloud: Cloud) -> None:
    full = 'tables = { sensors = "write", readings = "write" }\n\n[services.ingest.environments.local]'
    cloud.edit_registry(full, 'tables = { readings = "write" }\n\n[services.ingest.environments.local]')
    try:
        deployed = cloud.cli("deploy", "ingest", "--env", "local")
        assert deployed.returncode == 0, deployed.stderr
        reading = {**READING, "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with web(cloud) as client:
            answer = client.post(cloud.url("ingest", "/readings"), json=reading,
                                 headers={"X-API-Key": ingest_key(cloud)})  # fmt: skip
        assert answer.status_code == 503, answer.text

        def denied() -> list[str]:
            logs = cloud.cli("logs", "ingest", "--env", "local", "--since", "5m")
            return [line for line in logs.stdout.splitlines() if "AccessDenied" in line]

        assert eventually(denied)
        sensors = developer(cloud, "dynamodb").get_item(
            TableName="homestack-local-sensors", Key={"sensor_id": {"S": "e2e-no-table"}}
        )
        assert "Item" not in sensors  # nothing written where the task role may not write
    finally:
        cloud.edit_registry('tables = { readings = "write" }\n\n[services.ingest.environments.local]', full)
    restored = cloud.cli("deploy", "ingest", "--env", "local")
    assert restored.returncode == 0, restored.stderr


def test_a_failing_health_check_rolls_back_while_the_old_revision_answers(
    cloud: Cloud, figures: list[str]
) -> None:
    statuses: list[int] = []
    stop = threading.Event()

    def load() -> None:
        with web(cloud) as client:
            while not stop.is_set():
                try:
                    statuses.append(client.get(cloud.url("dashboard", "/health")).status_code)
                except httpx.HTTPError:
                    statuses.append(0)
                time.sleep(0.05)

    block = '[services.dashboard]\npath = "services/dashboard"\napp = "homestack_dashboard.app:app"\n'
    block += 'port = 8000\nhealth = "/health"'
    cloud.edit_registry(block, block.replace('health = "/health"', 'health = "/nope"'))
    worker = threading.Thread(target=load)
    worker.start()
    started = time.monotonic()
    try:
        result = cloud.cli("deploy", "dashboard", "--env", "local", timeout=180)
        seconds = time.monotonic() - started
    finally:
        stop.set()
        worker.join()
        cloud.edit_registry(block.replace('health = "/health"', 'health = "/nope"'), block)
    bad = sum(s != 200 for s in statuses)
    figures.append(f"deploy of dashboard with health /nope: exit {result.returncode} after {seconds:.1f} s; "
                   f"{len(statuses)} requests meanwhile, {bad} not 200")  # fmt: skip
    assert result.returncode == 1
    assert seconds < 120
    assert "ROLLBACK_SUCCESSFUL" in result.stderr
    assert "Health checks failed with these codes: [404]" in result.stderr
    assert "/nope" in result.stderr
    assert len(statuses) > 20
    assert [s for s in statuses if s != 200] == []
    ecs = developer(cloud, "ecs")
    arn = "arn:aws:ecs:eu-west-1:123456789012:service/homestack-local/homestack-local-dashboard"
    listed = ecs.list_service_deployments(cluster="homestack-local", service=arn, maxResults=1)
    [newest] = listed["serviceDeployments"]
    assert newest["status"] == "ROLLBACK_SUCCESSFUL"


def test_a_rollback_runs_the_code_of_the_earlier_revision(cloud: Cloud) -> None:
    routes = cloud.workspace / "services" / "sensors" / "src" / "homestack_sensors" / "routes.py"
    current = ["List every sensor's latest snapshot, page by page"]

    def deploy_with(summary: str) -> str:
        routes.write_text(routes.read_text().replace(current[0], summary))
        current[0] = summary
        git(cloud.workspace, "commit", "-q", "-am", summary)
        result = cloud.cli("deploy", "sensors", "--env", "local")
        assert result.returncode == 0, result.stderr
        return git(cloud.workspace, "rev-parse", "HEAD")

    def served() -> tuple[str, str]:
        with web(cloud) as client:
            document = client.get(cloud.url("sensors", "/openapi.json")).json()
            version = client.get(cloud.url("sensors", "/health")).json()["version"]
        return document["paths"]["/sensors"]["get"]["summary"], version

    first = deploy_with("First listing of sensors")
    second = deploy_with("Second listing of sensors")
    assert served() == ("Second listing of sensors", second)
    rolled = cloud.cli("rollback", "sensors", "--env", "local")
    assert rolled.returncode == 0, rolled.stderr
    assert eventually(lambda: served() == ("First listing of sensors", first))
    status = cloud.cli("status", "--env", "local")
    row = next(line for line in status.stdout.splitlines() if line.startswith("sensors"))
    assert first[:12] in row


def test_the_broken_service_fixed_and_deployed_joins_the_running_fleet(cloud: Cloud) -> None:
    cloud.edit_registry('app = "homestack_sensors.app:app"\nport = 8000\nhealth = "/nope"',
                        'app = "homestack_sensors.app:app"\nport = 8000\nhealth = "/health"')  # fmt: skip
    result = cloud.cli("deploy", "broken", "--env", "local")
    assert result.returncode == 0, result.stderr
    with web(cloud) as client:
        assert client.get(cloud.url("broken", "/health")).status_code == 200


def test_a_new_service_deployed_into_the_running_dev_answers_within_a_minute(
    cloud: Cloud, figures: list[str]
) -> None:
    made = cloud.cli("new", "weather", timeout=600)
    assert made.returncode == 0, made.stderr
    started = time.monotonic()
    deployed = cloud.cli("deploy", "weather", "--env", "local")
    assert deployed.returncode == 0, deployed.stderr
    with web(cloud) as client:
        eventually(lambda: client.get(cloud.url("weather", "/health")).status_code == 200, patience=60)
    seconds = time.monotonic() - started
    figures.append(f"new service weather answered 200 {seconds:.1f} s after `deploy weather` began")
    assert seconds < 60
    destroyed = cloud.cli("destroy", "weather", "--env", "local", "--yes")
    assert destroyed.returncode == 0, destroyed.stderr
    with web(cloud) as client:
        eventually(lambda: client.get(cloud.url("weather", "/health")).status_code == 404)
