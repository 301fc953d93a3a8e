"""The published contract: OpenAPI at /docs documents every real response, errors included."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

ROUTES = {
    "/sensors": {"200", "400", "422", "500", "503"},
    "/sensors/{sensor_id}": {"200", "404", "422", "500", "503"},
    "/sensors/{sensor_id}/readings": {"200", "400", "404", "422", "500", "503"},
}


@pytest.fixture
def schema(api: TestClient) -> dict[str, Any]:
    response = api.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_docs_are_served(api: TestClient) -> None:
    response = api.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


@pytest.mark.parametrize(("path", "statuses"), ROUTES.items())
def test_every_route_declares_its_error_responses_as_json_error_bodies(
    schema: dict[str, Any], path: str, statuses: set[str]
) -> None:
    responses = schema["paths"][path]["get"]["responses"]
    assert set(responses) == statuses
    for status in statuses - {"200"}:
        assert responses[status]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


def test_lists_document_their_item_model_and_the_next_cursor_header(schema: dict[str, Any]) -> None:
    listing = schema["paths"]["/sensors"]["get"]["responses"]["200"]
    assert listing["content"]["application/json"]["schema"]["items"]["$ref"].endswith("/SensorSnapshot")
    assert "X-Next-Cursor" in listing["headers"]
    readings = schema["paths"]["/sensors/{sensor_id}/readings"]["get"]["responses"]["200"]
    assert readings["content"]["application/json"]["schema"]["items"]["$ref"].endswith("/ReadingOut")
