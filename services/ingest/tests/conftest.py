"""A running ingest app on moto: tables created, two accepted keys, fast retries."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from homestack_common.testing import client_for
from homestack_ingest.app import app
from homestack_ingest.settings import get_settings
from homestack_ingest.testing import READINGS_TABLE, SENSORS_TABLE, Service, settings_for_tests
from homestack_sensordata import READINGS, SENSORS, create_table
from homestack_sensordata.faults import one_write_at_a_time


@pytest.fixture
def service() -> Iterator[Service]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
        create_table(dynamodb, SENSORS, SENSORS_TABLE)
        create_table(dynamodb, READINGS, READINGS_TABLE)
        with get_settings.override(settings_for_tests()), client_for(app) as http:
            one_write_at_a_time(app.state.ingest.client)  # the writer's threads at once: moto cannot
            yield Service(http, dynamodb, app.state.ingest)
