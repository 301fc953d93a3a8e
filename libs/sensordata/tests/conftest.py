"""An in-process DynamoDB (moto) with both tables: a store reading them and a raw client writing them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws
from mypy_boto3_dynamodb import DynamoDBClient

from homestack_sensordata import READINGS, SENSORS, SensorStore, create_table, dynamodb_client
from homestack_sensordata.faults import one_write_at_a_time


@pytest.fixture
def store() -> Iterator[SensorStore]:
    with mock_aws():
        client = dynamodb_client()
        create_table(client, SENSORS, "test-sensors")
        create_table(client, READINGS, "test-readings")
        yield SensorStore(
            client,
            sensors_table="test-sensors",
            readings_table="test-readings",
            cursor_key="store-tests-cursor-key",
        )


@pytest.fixture
def dynamodb() -> Iterator[DynamoDBClient]:
    with mock_aws():
        client = dynamodb_client()
        one_write_at_a_time(client)  # the writer's threads write at once; in-process moto cannot
        create_table(client, SENSORS, "test-sensors")
        create_table(client, READINGS, "test-readings")
        yield client
