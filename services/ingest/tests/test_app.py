"""Startup checks and the published contract (OpenAPI) of the ingest service."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from homestack_common import ConfigurationError
from homestack_common.testing import capture_logs, client_for
from homestack_ingest.app import app
from homestack_ingest.settings import get_settings
from homestack_ingest.testing import Service, settings_for_tests

SHORT = "tooshort-secret"  # 15 characters


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            None,
            "ingest cannot start: INGEST_API_KEY is not set or empty\nhint: set it to one or more keys "
            "of at least 16 characters, comma-separated",
        ),
        (" , ", "ingest cannot start: INGEST_API_KEY is not set or empty"),
        (
            f"a-perfectly-fine-key-1,{SHORT}",
            "ingest cannot start: key 2 of 2 in INGEST_API_KEY has 15 characters, fewer than 16",
        ),
        (
            "caf\u00e9-caf\u00e9-caf\u00e9-caf\u00e9",
            "ingest cannot start: key 1 of 1 in INGEST_API_KEY has characters other than visible ASCII",
        ),
    ],
)
def test_the_service_refuses_to_start_without_a_usable_key(keys: str | None, message: str) -> None:
    with (
        get_settings.override(settings_for_tests(ingest_api_key=keys)),
        capture_logs() as records,
        pytest.raises(ConfigurationError, match="ingest cannot start"),
        client_for(app),
    ):
        pass
    errors = [r["message"] for r in records if r["level"] == "error"]
    assert errors[0].startswith(message)
    assert SHORT not in json.dumps(records)


def test_a_real_server_exits_with_one_clear_line_and_never_prints_the_key() -> None:
    env = {**os.environ, "INGEST_API_KEY": SHORT, "LOG_FORMAT": "json"}
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "homestack_ingest.app:app", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert any(
        line["message"].startswith("ingest cannot start: key 1 of 1 in INGEST_API_KEY has 15 characters")
        for line in lines
    )
    assert SHORT not in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_openapi_declares_every_status_the_route_answers(service: Service) -> None:
    schema = service.http.get("/openapi.json").json()
    operation = schema["paths"]["/readings"]["post"]
    assert set(operation["responses"]) == {"200", "401", "413", "422", "500", "503"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    refs = {option["$ref"].rsplit("/", 1)[1] for option in body["anyOf"]}
    assert refs <= set(schema["components"]["schemas"])
    not_stored = schema["components"]["schemas"]["PartialWrite"]["properties"]["not_stored"]
    assert not_stored["type"] == "array"
    values = schema["components"]["schemas"]["Reading"]["properties"]["values"]["properties"]
    assert values["humidity"] == {"type": "number", "minimum": 0.0, "maximum": 100.0, "description": "%"}


def test_health_needs_no_key(service: Service) -> None:
    assert service.http.get("/health").json()["service"] == "ingest"
