"""The fleet as `expressway dev` brings it up: every service through the router at its localhost URL, two
tasks of each behind it, demo history, logs in CloudWatch, and a service that cannot deploy named in
`dev: ready` with why, while the others run."""

from __future__ import annotations

import subprocess
import threading
import time
from typing import Any

import httpx

from .conftest import READY, Cloud, eventually, git, web


def test_dev_prints_every_running_service_with_its_localhost_url(cloud: Cloud) -> None:
    assert sorted(cloud.urls) == ["dashboard", "ingest", "sensors"], cloud.output()[-3000:]
    for url in cloud.urls.values():
        assert url.endswith(f".localhost:{cloud.port}")
    ready = READY.search(cloud.output())
    assert ready is not None
    assert ready.group(1) == cloud.url("dashboard", "")


def test_a_service_that_cannot_deploy_is_named_with_why_and_the_others_run(cloud: Cloud) -> None:
    ready = READY.search(cloud.output())
    assert ready is not None
    line = ready.group(0)
    assert "1 of 4 services failed to deploy: broken:" in line
    assert "Health checks failed with these codes: [404]" in line
    assert "/nope" in line


def test_dev_gets_ready_within_a_minute(cloud: Cloud, figures: list[str]) -> None:
    figures.append(f"`dev: ready` after {cloud.ready_seconds:.1f} s (4 services, one of them failing)")
    assert cloud.ready_seconds < 120


def test_the_sensors_api_lists_the_simulated_sensors(cloud: Cloud) -> None:
    with web(cloud) as client:

        def listed() -> list[Any]:
            found: list[Any] = client.get(cloud.url("sensors", "/sensors")).raise_for_status().json()
            return found

        sensors = eventually(listed)

    assert len(sensors) >= 1
    assert all("sensor_id" in sensor for sensor in sensors)


def test_the_readings_table_holds_seven_days_of_history(cloud: Cloud) -> None:
    with web(cloud) as client:
        sensors = eventually(lambda: client.get(cloud.url("sensors", "/sensors")).json())
        since = "2000-01-01T00:00:00Z"
        first = client.get(cloud.url("sensors", f"/sensors/{sensors[0]['sensor_id']}/readings"),
                           params={"since": since, "limit": 1}).raise_for_status().json()  # fmt: skip
    oldest = first[0]["ts"] if isinstance(first, list) else first["readings"][0]["ts"]
    age_days = (time.time() - time.mktime(time.strptime(oldest[:19], "%Y-%m-%dT%H:%M:%S"))) / 86400
    assert 6.5 < age_days < 7.5


def test_the_dashboard_shows_the_simulated_readings(cloud: Cloud) -> None:
    with web(cloud) as client:
        sensors = eventually(lambda: client.get(cloud.url("sensors", "/sensors")).json())
        page = client.get(cloud.url("dashboard"))

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert sensors[0]["sensor_id"] in page.text
    assert len(page.headers.get_list("date")) == len(page.headers.get_list("server")) == 1


def test_paging_through_every_sensor_one_at_a_time_works_while_two_tasks_serve(cloud: Cloud) -> None:
    status = cloud.cli("status", "--env", "local")
    assert " 2/2 " in next(line for line in status.stdout.splitlines() if line.startswith("sensors"))
    pages, cursor = [], None
    with web(cloud) as client:
        while True:
            params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
            answer = client.get(cloud.url("sensors", "/sensors"), params=params)
            pages.append(answer.status_code)
            cursor = answer.headers.get("x-next-cursor")
            if not cursor or len(pages) > 50:
                break
    assert len(pages) >= 2
    assert set(pages) == {200}


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


def test_status_shows_the_local_fleet_as_the_deployer_sees_it(cloud: Cloud) -> None:
    result = cloud.cli("status", "--env", "local")

    assert result.returncode == 0, result.stderr
    for service in ("sensors", "ingest", "dashboard"):
        assert service in result.stdout


def test_the_logs_of_a_service_come_from_cloudwatch(cloud: Cloud) -> None:
    def printed() -> list[str]:
        result = cloud.cli("logs", "sensors", "--env", "local", "--since", "5m")
        assert result.returncode == 0, result.stderr
        return [line for line in result.stdout.splitlines() if "GET /" in line]

    lines = eventually(printed)
    assert len(lines) >= 1


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

    git(cloud.workspace, "commit", "-q", "--allow-empty", "-m", "next version")
    version = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=cloud.workspace, capture_output=True, text=True, check=True
    ).stdout.strip()
    worker = threading.Thread(target=load)
    worker.start()
    try:
        time.sleep(1.0)
        result = cloud.cli("deploy", "sensors", "--env", "local")
        assert result.returncode == 0, result.stderr
        eventually(lambda: outcomes and outcomes[-1] == version)
        time.sleep(3.0)  # the old tasks drain and stop while the load goes on
    finally:
        stop.set()
        worker.join()

    failures = [outcome for outcome in outcomes if outcome.startswith(("HTTP", "Connect", "Read", "Remote"))]
    assert failures == []
    assert len(outcomes) > 20
    assert outcomes[-1] == version
