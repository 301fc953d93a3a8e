"""The dashboard's settings: where the sensors API is, and how patient and how fresh to be."""

from __future__ import annotations

from typing import Annotated

from pydantic import AnyHttpUrl, Field, ValidationError

from homestack_common import ConfigurationError, ServiceSettings, SettingsProvider

Seconds = Annotated[float, Field(gt=0, le=3600)]
# The environment does not describe a dashboard that can start; the message says how to fix it.
ConfigError = ConfigurationError


class DashboardSettings(ServiceSettings):
    """Read from the environment (SENSORS_URL, STALE_AFTER_SECONDS, ...) when the app starts."""

    sensors_url: AnyHttpUrl
    # A sensor that has not reported for this long is shown as stale.
    stale_after_seconds: Annotated[float, Field(gt=0)] = 900.0
    # Short on purpose: live updates must show a new reading within 5 s of it being stored.
    cache_ttl_seconds: Annotated[float, Field(ge=0, le=60)] = 1.0
    # History only grows by the latest reading, which pages merge in from the fresh snapshot, so the
    # (much larger) history may be reused for longer.
    history_ttl_seconds: Annotated[float, Field(ge=0, le=300)] = 10.0
    connect_timeout_seconds: Seconds = 1.0
    read_timeout_seconds: Seconds = 3.0
    # One read of the sensors API, every page of it, ends by then however slowly its bytes arrive: the
    # read timeout alone bounds each wait for a byte, not the whole answer.
    load_deadline_seconds: Annotated[float, Field(gt=0, le=30)] = 5.0
    # The largest answer read from the sensors API (a full page of 1000 snapshots is about 300 KiB).
    max_response_bytes: Annotated[int, Field(ge=64 * 1024, le=64 * 1024 * 1024)] = 4 * 1024 * 1024
    sparkline_hours: Annotated[int, Field(ge=1, le=48)] = 6
    page_size: Annotated[int, Field(ge=10, le=1000)] = 1000  # the sensors API's largest page
    # Upper bound on pages followed for one chart, so a huge history cannot stall a page.
    max_pages: Annotated[int, Field(ge=1, le=200)] = 40
    poll_interval_seconds: Annotated[float, Field(gt=0, le=60)] = 2.0


def _explain(error: ValidationError) -> ConfigurationError:
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]).upper()
        if item["type"] == "missing":
            problems.append(f"{field} is not set")
        else:
            problems.append(f"{field} is invalid ({item['msg']})")
    return ConfigurationError(
        "dashboard configuration is invalid: " + "; ".join(problems),
        hint="set SENSORS_URL to the sensors API's base URL, e.g. SENSORS_URL=http://127.0.0.1:8001",
    )


class DashboardSettingsProvider(SettingsProvider[DashboardSettings]):
    """The cached getter, turning pydantic's validation report into one plain startup error."""

    def __call__(self) -> DashboardSettings:
        try:
            return super().__call__()
        except ValidationError as exc:
            raise _explain(exc) from None


get_settings = DashboardSettingsProvider(DashboardSettings)
