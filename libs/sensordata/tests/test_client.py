"""The shared DynamoDB client: where it connects, how it retries and how many connections it pools."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from moto import mock_aws

from homestack_sensordata import SENSORS, create_table, dynamodb_client


def test_region_comes_from_the_argument_then_aws_region_then_aws_default_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert dynamodb_client("ap-south-1").meta.region_name == "ap-south-1"
    assert dynamodb_client().meta.region_name == "eu-central-1"
    monkeypatch.delenv("AWS_REGION")
    assert dynamodb_client().meta.region_name == "us-west-2"


def test_endpoint_comes_from_the_argument_or_the_standard_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    assert dynamodb_client().meta.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert dynamodb_client().meta.endpoint_url == "http://127.0.0.1:4566"
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8123")
    assert dynamodb_client().meta.endpoint_url == "http://127.0.0.1:8123"
    assert dynamodb_client(endpoint_url="http://localhost:9000").meta.endpoint_url == "http://localhost:9000"


def test_retries_are_adaptive_with_timeouts_and_a_pool_sized_for_a_threadpool() -> None:
    # botocore's Config sets its options as instance attributes the stubs don't declare.
    config = vars(dynamodb_client(max_pool_connections=80, read_timeout=3.0).meta.config)
    assert config["retries"] == {"mode": "adaptive", "total_max_attempts": 5}
    assert config["max_pool_connections"] == 80
    assert config["read_timeout"] == 3.0
    assert config["connect_timeout"] == 2.0


def test_the_client_talks_to_dynamodb() -> None:
    with mock_aws():
        client = dynamodb_client()
        create_table(client, SENSORS, "t-sensors")
        client.put_item(TableName="t-sensors", Item={"sensor_id": {"S": "a"}})
        assert client.get_item(TableName="t-sensors", Key={"sensor_id": {"S": "a"}})["Item"]


def test_a_caller_that_retries_by_itself_gets_a_client_that_does_not() -> None:
    config = vars(dynamodb_client(max_attempts=1, retry_mode="standard", connect_timeout=0.5).meta.config)
    assert config["retries"] == {"mode": "standard", "total_max_attempts": 1}
    assert config["connect_timeout"] == 0.5


def test_parameter_validation_can_be_left_to_dynamodb() -> None:
    wrong: Any = {"sensor_id": {"S": 5}}  # a number where the API model wants a string
    with mock_aws():
        with pytest.raises(ParamValidationError):
            dynamodb_client().put_item(TableName="nowhere", Item=wrong)
        with pytest.raises(ClientError, match="ResourceNotFoundException"):  # sent: DynamoDB judges it
            dynamodb_client(validate_parameters=False).put_item(TableName="nowhere", Item=wrong)
