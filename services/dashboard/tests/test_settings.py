"""Settings come from the environment; a missing or invalid SENSORS_URL stops startup with a plain message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from homestack_common.testing import client_for
from homestack_dashboard.app import create_dashboard_app
from homestack_dashboard.settings import (
    ConfigError,
    DashboardSettings,
    DashboardSettingsProvider,
    get_settings,
)


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENSORS_URL", "http://127.0.0.1:8001/")
    monkeypatch.setenv("STALE_AFTER_SECONDS", "120")
    monkeypatch.setenv("CACHE_TTL_SECONDS", "0.5")
    monkeypatch.setenv("READ_TIMEOUT_SECONDS", "1.5")

    settings = DashboardSettingsProvider(DashboardSettings)()

    assert str(settings.sensors_url) == "http://127.0.0.1:8001/"
    assert settings.stale_after_seconds == 120
    assert settings.cache_ttl_seconds == 0.5
    assert settings.read_timeout_seconds == 1.5


def test_missing_sensors_url_is_a_plain_error_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SENSORS_URL", raising=False)

    with pytest.raises(ConfigError) as caught:
        DashboardSettingsProvider(DashboardSettings)()

    message = str(caught.value)
    assert message.startswith("dashboard configuration is invalid: SENSORS_URL is not set")
    assert "hint: set SENSORS_URL" in message
    assert caught.value.__cause__ is None  # no pydantic report chained under it


@pytest.mark.parametrize("value", ["not a url", "ftp://example.test", "sensors:8000"])
def test_invalid_sensors_url_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SENSORS_URL", value)

    with pytest.raises(ConfigError, match=r"SENSORS_URL is invalid \("):
        DashboardSettingsProvider(DashboardSettings)()


@pytest.mark.usefixtures("fresh_settings")
def test_app_refuses_to_start_without_sensors_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SENSORS_URL", raising=False)

    with pytest.raises(ConfigError, match="SENSORS_URL is not set"), client_for(create_dashboard_app()):
        pass


@pytest.mark.usefixtures("fresh_settings")
def test_health_answers_once_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENSORS_URL", "http://127.0.0.1:9")

    with client_for(create_dashboard_app()) as client:
        response = client.get("/health")

    assert response.status_code == 200
    assert response.json()["service"] == "dashboard"
