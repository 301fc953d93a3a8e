"""An in-process DynamoDB (moto) with both tables, and a store reading them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from homestack_sensordata import READINGS, SENSORS, SensorStore, create_table, dynamodb_client


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
