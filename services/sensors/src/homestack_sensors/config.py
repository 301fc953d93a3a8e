"""The sensors service's settings, read from the environment when the app starts."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from homestack_common import ServiceSettings, settings_provider


class Settings(ServiceSettings):
    """Environment of the sensors service (names as the registry and the seed's service set them)."""

    # A bad value must never be echoed into a startup error: CURSOR_KEY is a secret.
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    sensor_table: str = Field("homestack-sensors", min_length=3, max_length=255)
    readings_table: str = Field("homestack-readings", min_length=3, max_length=255)
    # Signs pagination cursors. Every task of the service must share it, or a cursor issued by one task is
    # refused by another; without it each process makes its own (fine for one task and for tests).
    cursor_key: SecretStr | None = Field(None, min_length=16)
    # Snapshots are served from memory for this long (seconds); 0 turns the cache off.
    cache_ttl: float = Field(2.0, ge=0, le=60)
    cache_entries: int = Field(10_000, ge=1)
    # Threads that may call DynamoDB at once; the client's connection pool is sized to match.
    dynamodb_concurrency: int = Field(64, ge=1, le=1024)
    aws_region: str | None = Field(None, validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))
    dynamodb_endpoint_url: str | None = Field(
        None, validation_alias=AliasChoices("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL")
    )


get_settings = settings_provider(Settings)
