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
    # refused by another; without it each process makes its own (fine for one process and for tests, and
    # refused on Amazon ECS, where a service runs as several tasks).
    cursor_key: SecretStr | None = Field(None, min_length=16)
    # The ECS agent sets this in every task on Fargate (platform 1.4.0 and later): "Amazon ECS task metadata
    # endpoint version 4 for tasks on AWS Fargate",
    # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4-fargate.html
    # Only its presence is used; the endpoint is never called.
    ecs_metadata_uri: str | None = Field(None, validation_alias="ECS_CONTAINER_METADATA_URI_V4")
    # Snapshots are served from memory for this long (seconds); 0 turns the cache off.
    cache_ttl: float = Field(2.0, ge=0, le=60)
    cache_entries: int = Field(10_000, ge=1)
    # Threads that may call DynamoDB at once; the client's connection pool is sized to match.
    dynamodb_concurrency: int = Field(64, ge=1, le=1024)
    aws_region: str | None = Field(None, validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))
    dynamodb_endpoint_url: str | None = Field(
        None, validation_alias=AliasChoices("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL")
    )

    @property
    def on_ecs(self) -> bool:
        """True in a task that Amazon ECS runs (a deployed environment), False on a laptop or in tests."""
        return self.ecs_metadata_uri is not None


get_settings = settings_provider(Settings)
