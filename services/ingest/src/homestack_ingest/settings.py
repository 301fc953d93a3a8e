"""Ingest settings, read from the environment when the service starts (never at import)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from homestack_common import ServiceSettings, settings_provider


class IngestSettings(ServiceSettings):
    """Environment variables of the ingest service (names are the upper-cased field names)."""

    # A bad value must never be echoed into a startup error: INGEST_API_KEY is a secret.
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    sensor_table: str = "homestack-sensors"
    readings_table: str = "homestack-readings"
    # One or more keys separated by commas or whitespace, so a new key can be added before the
    # old one is removed (rotation without downtime). In AWS this arrives as an ECS secret from SSM.
    ingest_api_key: SecretStr | None = None
    retention_days: int = Field(default=30, ge=1, le=3650)
    max_future_skew_seconds: int = Field(default=300, ge=0, le=86_400)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    aws_region: str | None = None
    aws_endpoint_url: str | None = None
    write_deadline_seconds: float = Field(default=10.0, gt=0)
    write_max_attempts: int = Field(default=8, ge=1, le=50)
    write_retry_base_delay_seconds: float = Field(default=0.05, ge=0)


get_settings = settings_provider(IngestSettings)
