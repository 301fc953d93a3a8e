"""What a running ingest holds: accepted keys, limits, the DynamoDB client and the writer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from homestack_ingest.auth import ApiKeys, ConfigError
from homestack_ingest.payload import Limits
from homestack_ingest.settings import IngestSettings
from homestack_sensordata import ReadingWriter, RegionNotSetError, RetryPolicy, dynamodb_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

WRITER_THREADS = 16  # DynamoDB calls of one write in flight at once; the client pools 64 connections
# A new connection to DynamoDB takes milliseconds; one that takes longer is retried on another, so a
# call that needs a new connection still ends within the write deadline plus this.
CONNECT_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True)
class Ingest:
    keys: ApiKeys
    limits: Limits
    client: DynamoDBClient
    writer: ReadingWriter
    write_deadline: float  # seconds from a request's arrival to its answer, whatever DynamoDB does

    def close(self) -> None:
        self.writer.close()
        self.client.close()


def build(settings: IngestSettings) -> Ingest:
    """Check the configuration (ConfigError if unusable) and open the client and writer."""
    keys = ApiKeys.parse(settings.ingest_api_key.get_secret_value() if settings.ingest_api_key else None)
    retention = timedelta(days=settings.retention_days)
    limits = Limits(
        max_body_bytes=settings.max_body_bytes,
        max_future_skew=timedelta(seconds=settings.max_future_skew_seconds),
        retention=retention,
    )
    try:
        # No retries inside botocore: the writer retries itself, each call bounded by the time left.
        client = dynamodb_client(
            settings.aws_region,
            settings.aws_endpoint_url,
            max_attempts=1,
            retry_mode="standard",
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            validate_parameters=False,  # the writer's requests are typed and tested; DynamoDB checks them
        )
    except RegionNotSetError as exc:
        raise ConfigError(f"ingest cannot start: {exc}") from None
    writer = ReadingWriter(
        client,
        sensors_table=settings.sensor_table,
        readings_table=settings.readings_table,
        retention=retention,
        retry=RetryPolicy(
            max_attempts=settings.write_max_attempts,
            base_delay=settings.write_retry_base_delay_seconds,
            deadline=settings.write_deadline_seconds,
        ),
        workers=WRITER_THREADS,
    )
    return Ingest(
        keys=keys, limits=limits, client=client, writer=writer, write_deadline=settings.write_deadline_seconds
    )
