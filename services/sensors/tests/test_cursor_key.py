"""The cursor key at startup: shared CURSOR_KEY, or a key of the process's own off ECS (with a warning), and
on Amazon ECS no start at all without CURSOR_KEY (every task must sign cursors the same way)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from homestack_common import ConfigurationError
from homestack_common.testing import capture_logs
from homestack_sensors.app import app
from homestack_sensors.config import Settings
from homestack_sensors.routes import NEXT_CURSOR_HEADER

if TYPE_CHECKING:
    from conftest import Start, Tables

ECS = {"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/0123456789abcdef-1234567890"}


def test_on_ecs_without_a_cursor_key_the_service_refuses_to_start_with_a_hint(start: Start) -> None:
    with capture_logs() as logs, pytest.raises(ConfigurationError), start(cursor_key=None, **ECS):
        pass
    error: str = app.state.startup_error
    assert error.startswith("sensors configuration is invalid: CURSOR_KEY is not set, and on Amazon ECS")
    assert "\nhint: give the service a CURSOR_KEY secret" in error
    assert [r["message"] for r in logs if r["level"] == "error"] == [error]


def test_on_ecs_with_a_cursor_key_the_service_starts_and_pages(aws: Tables, start: Start) -> None:
    for i in range(3):
        aws.sensor(f"s-{i}")
    with capture_logs() as logs, start(**ECS) as api:
        first = api.get("/sensors", params={"limit": 2})
        rest = api.get("/sensors", params={"limit": 2, "cursor": first.headers[NEXT_CURSOR_HEADER]})
    assert [len(first.json()), len(rest.json())] == [2, 1]
    assert not [r for r in logs if "CURSOR_KEY" in r["message"]]


def test_off_ecs_without_a_cursor_key_the_process_uses_its_own_and_warns(aws: Tables, start: Start) -> None:
    for i in range(3):
        aws.sensor(f"s-{i}")
    with capture_logs() as logs, start(cursor_key=None) as api:
        first = api.get("/sensors", params={"limit": 2})
        rest = api.get("/sensors", params={"limit": 2, "cursor": first.headers[NEXT_CURSOR_HEADER]})
    assert rest.status_code == 200
    assert len(rest.json()) == 1
    [warning] = [r for r in logs if r["level"] == "warning"]
    assert warning["message"].startswith("CURSOR_KEY is not set: cursors are valid only on this process")


def test_two_processes_with_their_own_keys_refuse_each_others_cursors(aws: Tables, start: Start) -> None:
    for i in range(3):
        aws.sensor(f"s-{i}")
    with start(cursor_key=None) as api:
        cursor = api.get("/sensors", params={"limit": 1}).headers[NEXT_CURSOR_HEADER]
    with start(cursor_key=None) as api:
        response = api.get("/sensors", params={"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_ecs_is_recognised_by_the_metadata_variable_the_agent_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not Settings().on_ecs
    monkeypatch.setenv("ECS_CONTAINER_METADATA_URI_V4", ECS["ECS_CONTAINER_METADATA_URI_V4"])
    assert Settings().on_ecs
    monkeypatch.setenv("ECS_CONTAINER_METADATA_URI_V4", "")
    assert not Settings().on_ecs


def test_an_empty_cursor_key_counts_as_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURSOR_KEY", "")
    assert Settings().cursor_key is None
