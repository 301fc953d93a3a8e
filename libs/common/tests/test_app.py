"""The app factory's behaviour as a caller sees it: health, request ids, JSON errors, access log."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio
import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException
from pydantic import BaseModel

from homestack_common import (
    ApiError,
    ConfigurationError,
    ServiceSettings,
    create_app,
    error_responses,
    settings_provider,
)
from homestack_common.testing import capture_logs, client_for


class DemoSettings(ServiceSettings):
    greeting: str = "hello"


get_settings = settings_provider(DemoSettings)
router = APIRouter()
events: list[str] = []


class Item(BaseModel):
    name: str
    count: int


@router.get("/items/{item_id}", responses=error_responses(404))
async def read_item(item_id: int) -> dict[str, int]:
    if item_id == 0:
        raise ApiError(404, "item not found: 0")
    return {"id": item_id}


@router.post("/items")
async def create_item(item: Item) -> Item:
    return item


@router.get("/crash")
async def crash() -> None:
    raise RuntimeError("boom: secret internals")


def real_answer() -> str:
    return "real"


@asynccontextmanager
async def demo_lifespan(_: FastAPI) -> AsyncIterator[None]:
    events.append("open")
    yield
    events.append("close")


@pytest.fixture
def app() -> FastAPI:
    get_settings.cache_clear()
    return create_app(name="demo", settings=get_settings, routers=[router], lifespan=demo_lifespan)


def test_health_reports_service_and_version_from_app_version(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_VERSION", "abc1234")
    get_settings.cache_clear()
    with client_for(app) as client:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "demo", "version": "abc1234"}


def test_settings_are_read_on_demand_and_can_be_overridden(app: FastAPI) -> None:
    with get_settings.override(DemoSettings(app_version="override-1")), client_for(app) as client:
        assert client.get("/health").json()["version"] == "override-1"


def test_every_response_carries_a_request_id_and_reuses_a_plain_incoming_one(app: FastAPI) -> None:
    with client_for(app) as client:
        generated = client.get("/items/1").headers["x-request-id"]
        reused = client.get("/items/1", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        hostile = client.get("/items/1", headers={"X-Request-ID": "a b {}"}).headers["x-request-id"]
    assert len(generated) == 32
    assert reused == "abc-123"
    assert hostile != "a b {}"


def test_unknown_path_is_a_json_404(app: FastAPI) -> None:
    with client_for(app) as client:
        response = client.get("/nope", headers={"X-Request-ID": "rid-1"})
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not Found", "request_id": "rid-1"}}


def test_wrong_method_is_a_json_405(app: FastAPI) -> None:
    with client_for(app) as client:
        response = client.delete("/items/1")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_api_error_becomes_its_status_with_the_message(app: FastAPI) -> None:
    with client_for(app) as client:
        response = client.get("/items/0")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "item not found: 0"


def test_validation_errors_name_each_bad_field(app: FastAPI) -> None:
    with client_for(app) as client:
        response = client.post("/items", json={"name": "x", "count": "many"})
        path_error = client.get("/items/abc")
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "invalid_request"
    assert body["details"] == [
        {
            "field": "body.count",
            "message": "Input should be a valid integer, unable to parse string as an integer",
        }
    ]
    assert "body.count" in body["message"]
    assert path_error.json()["error"]["details"][0]["field"] == "path.item_id"


def test_a_crash_is_a_json_500_without_internals_and_is_logged(app: FastAPI) -> None:
    with capture_logs() as logs, client_for(app) as client:
        response = client.get("/crash", headers={"X-Request-ID": "rid-crash"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "rid-crash"
    assert response.json()["error"]["code"] == "internal_error"
    assert "secret internals" not in response.text
    crash = [r for r in logs if r["message"] == "unhandled error"]
    assert crash
    assert "boom: secret internals" in crash[0]["exception"]


def test_one_access_log_line_per_request_with_status_and_timing(app: FastAPI) -> None:
    with capture_logs() as logs, client_for(app) as client:
        client.get("/items/7", headers={"X-Request-ID": "rid-7"})
        client.get("/nope")
    access = [r for r in logs if r["logger"] == "homestack.access"]
    assert len(access) == 2
    first = access[0]
    assert first["method"] == "GET"
    assert first["path"] == "/items/7"
    assert first["status"] == 200
    assert first["request_id"] == "rid-7"
    assert first["duration_ms"] >= 0
    assert access[1]["status"] == 404


def test_lifespan_opens_and_closes_service_resources(app: FastAPI) -> None:
    events.clear()
    with client_for(app) as client:
        client.get("/health")
        assert events == ["open"]
    assert events == ["open", "close"]


def test_openapi_documents_json_errors_instead_of_the_framework_default(app: FastAPI) -> None:
    with client_for(app) as client:
        schema = client.get("/openapi.json").json()
    responses = schema["paths"]["/items/{item_id}"]["get"]["responses"]
    assert responses["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


class StrictSettings(ServiceSettings):
    required_table: str
    port_number: int = 8000


def test_bad_settings_stop_startup_with_a_clean_message_naming_the_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORT_NUMBER", "eighty")
    strict = settings_provider(StrictSettings)
    app = create_app(name="strict", settings=strict)
    failures: list[MutableMapping[str, Any]] = []

    async def scenario() -> None:
        messages: Iterator[MutableMapping[str, Any]] = iter([{"type": "lifespan.startup"}])

        async def receive() -> MutableMapping[str, Any]:
            return next(messages)

        async def send(message: MutableMapping[str, Any]) -> None:
            failures.append(message)

        with pytest.raises(ConfigurationError):
            await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)

    with capture_logs() as logs:
        anyio.run(scenario)
    [failed] = failures
    assert failed == {"type": "lifespan.startup.failed", "message": ""}
    [message] = [r["message"] for r in logs if r["level"] == "error"]
    assert message.startswith("strict configuration is invalid: REQUIRED_TABLE: Field required; PORT_NUMBER:")
    assert "Traceback" not in message
    assert "eighty" not in message
    assert "\nhint: set or fix the environment variables" in message


def test_a_configuration_error_from_a_service_lifespan_is_reported_cleanly() -> None:
    @asynccontextmanager
    async def refuses(_: FastAPI) -> AsyncIterator[None]:
        if not events:  # always true here; keeps the generator shape without unreachable code
            raise ConfigurationError("demo configuration is invalid: no keys", hint="set DEMO_KEYS")
        yield

    events.clear()
    app = create_app(name="demo", settings=settings_provider(DemoSettings), lifespan=refuses)
    with pytest.raises(ConfigurationError), client_for(app):
        pass
    assert app.state.startup_error == "demo configuration is invalid: no keys\nhint: set DEMO_KEYS"


_MISCONFIGURED_SERVICE = """
from homestack_common import ServiceSettings, create_app, settings_provider


class Settings(ServiceSettings):
    required_table: str


app = create_app(name="strict", settings=settings_provider(Settings))
"""


def test_a_misconfigured_service_exits_under_uvicorn_with_one_clear_line_and_no_traceback(
    tmp_path: Path,
) -> None:
    (tmp_path / "strict_service.py").write_text(_MISCONFIGURED_SERVICE)
    argv = [sys.executable, "-m", "uvicorn", "strict_service:app", "--app-dir", str(tmp_path)]
    result = subprocess.run(
        [*argv, "--host", "127.0.0.1", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LOG_FORMAT": "text"},
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 3
    assert "strict configuration is invalid: REQUIRED_TABLE: Field required" in output
    assert "hint: set or fix the environment variables" in output
    assert "Traceback" not in output


def test_routers_keep_their_tags_prefixes_dependencies_and_schema_settings() -> None:
    def refuse() -> None:
        raise HTTPException(403, "forbidden by the router's dependency")

    tagged = APIRouter(tags=["tagged"])
    prefixed = APIRouter(prefix="/v2", tags=["v2"])
    guarded = APIRouter(dependencies=[Depends(refuse)])
    hidden = APIRouter(include_in_schema=False)

    @tagged.get("/tagged")
    async def tagged_route() -> dict[str, str]:
        return {"route": "tagged"}

    @prefixed.get("/things")
    async def prefixed_route() -> dict[str, str]:
        return {"route": "prefixed"}

    @guarded.get("/guarded")
    async def guarded_route() -> dict[str, str]:
        return {"route": "guarded"}

    @hidden.get("/hidden")
    async def hidden_route() -> dict[str, str]:
        return {"route": "hidden"}

    @tagged.get("/answer")
    async def answer_route(value: Annotated[str, Depends(real_answer)]) -> dict[str, str]:
        return {"answer": value}

    started: list[str] = []
    with_startup = APIRouter(on_startup=[lambda: started.append("router startup")])

    @with_startup.get("/started")
    async def started_route() -> list[str]:
        return started

    get_settings.cache_clear()
    app = create_app(
        name="demo", settings=get_settings, routers=[tagged, prefixed, guarded, hidden, with_startup]
    )
    app.dependency_overrides[real_answer] = lambda: "overridden"
    with client_for(app) as client:
        assert client.get("/answer").json() == {"answer": "overridden"}
        assert client.get("/started").json() == ["router startup"]
        assert client.get("/tagged").json() == {"route": "tagged"}
        assert client.get("/v2/things").json() == {"route": "prefixed"}
        assert client.get("/things").status_code == 404
        assert client.get("/guarded").status_code == 403
        assert client.get("/hidden").json() == {"route": "hidden"}
        paths = client.get("/openapi.json").json()["paths"]
    assert paths["/tagged"]["get"]["tags"] == ["tagged"]
    assert paths["/v2/things"]["get"]["tags"] == ["v2"]
    assert paths["/health"]["get"]["tags"] == ["health"]
    assert "/hidden" not in paths
