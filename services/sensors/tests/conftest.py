"""The sensors app against an in-process DynamoDB (moto), with helpers to put sensors and readings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from moto import mock_aws

from homestack_common.testing import client_for
from homestack_sensordata import READINGS, SENSORS, create_table, dynamodb_client, format_ts
from homestack_sensors.app import app
from homestack_sensors.config import Settings, get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

SENSORS_TABLE = "test-sensors"
READINGS_TABLE = "test-readings"
T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@dataclass
class Tables:
    """Writes straight into the tables, the way ingest would."""

    client: DynamoDBClient
    sensors_table: str = SENSORS_TABLE
    readings_table: str = READINGS_TABLE

    def sensor(self, sensor_id: str, temperature: float = 21.5, name: str | None = None) -> None:
        item: dict[str, AttributeValueTypeDef] = {
            "sensor_id": {"S": sensor_id},
            "ts": {"S": format_ts(T0)},
            "values": {"M": {"temperature": {"N": str(temperature)}}},
            "units": {"M": {"temperature": {"S": "C"}}},
        }
        if name:
            item["name"] = {"S": name}
        self.client.put_item(TableName=SENSORS_TABLE, Item=item)

    def readings(self, sensor_id: str, start: datetime, count: int, step: timedelta) -> list[str]:
        stamps = [format_ts(start + i * step) for i in range(count)]
        for i, ts in enumerate(stamps):
            self.client.put_item(
                TableName=READINGS_TABLE,
                Item={
                    "sensor_id": {"S": sensor_id},
                    "ts": {"S": ts},
                    "values": {"M": {"temperature": {"N": str(i)}}},
                    "expires_at": {"N": "1900000000"},
                },
            )
        return stamps


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "sensor_table": SENSORS_TABLE,
        "readings_table": READINGS_TABLE,
        "cursor_key": "sensors-tests-cursor-key",
        "cache_ttl": 0,
        "app_version": "1.2.3-test",
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture
def aws() -> Iterator[Tables]:
    with mock_aws():
        client = dynamodb_client()
        create_table(client, SENSORS, SENSORS_TABLE)
        create_table(client, READINGS, READINGS_TABLE)
        yield Tables(client)


Start = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture
def start(aws: Tables) -> Start:
    """Start the app with the test settings plus `overrides`; use as `with start(cache_ttl=1) as api:`."""

    @contextmanager
    def run(**overrides: object) -> Iterator[TestClient]:
        with get_settings.override(make_settings(**overrides)), client_for(app) as client:
            yield client

    return run


@pytest.fixture
def api(start: Start) -> Iterator[TestClient]:
    """The app with the cache off, so every request reaches DynamoDB."""
    with start() as client:
        yield client
