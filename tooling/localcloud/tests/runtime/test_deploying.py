"""What `dev` reports after deploying the fleet: which services run where, which failed and why."""

from __future__ import annotations

import json

from localcloud.runtime.deploying import Outcome, _outcomes, ready_line, table

SUMMARY = {
    "environment": "local",
    "ok": False,
    "services": [
        {"service": "sensors", "status": "deployed", "url": "http://sensors.localhost:8080", "detail": ""},
        {
            "service": "weather",
            "status": "failed",
            "url": None,
            "detail": "deployment ROLLBACK_SUCCESSFUL: ...",
        },
        {"service": "dashboard", "status": "skipped", "url": None, "detail": "needs weather, which failed"},
    ],
}


def test_the_deploys_summary_becomes_one_outcome_per_service() -> None:
    found = _outcomes(json.dumps(SUMMARY))
    assert found == [
        Outcome("sensors", True, "http://sensors.localhost:8080", ""),
        Outcome("weather", False, None, "deployment ROLLBACK_SUCCESSFUL: ..."),
        Outcome("dashboard", False, None, "needs weather, which failed"),
    ]
    assert _outcomes("error: not json") == []


def test_ready_names_what_to_open_and_every_service_that_failed_with_why() -> None:
    line = ready_line(_outcomes(json.dumps(SUMMARY)))
    assert line.startswith(
        "dev: ready: open http://sensors.localhost:8080 in a browser (Ctrl-C stops everything)"
    )
    assert line.endswith(
        "; 2 of 3 services failed to deploy: weather: deployment ROLLBACK_SUCCESSFUL: ...; "
        "dashboard: needs weather, which failed"
    )
    assert ready_line([]) == "dev: ready: no service is running (Ctrl-C stops everything)"


def test_the_table_shows_each_registry_service_running_failed_or_not_deployed() -> None:
    rows = table(["sensors", "weather", "ingest"], _outcomes(json.dumps(SUMMARY))).splitlines()
    assert rows[1].split() == ["sensors", "http://sensors.localhost:8080", "running"]
    assert rows[2].split() == ["weather", "(not", "running)", "FAILED"]
    assert rows[3].split() == ["ingest", "(not", "running)", "not", "deployed"]
