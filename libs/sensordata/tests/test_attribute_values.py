"""Numbers as DynamoDB stores them: what it refuses is found before a write, and compared by value."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from homestack_sensordata import Reading
from homestack_sensordata.attribute_values import number, number_problem, same_values

RANGE = (
    "DynamoDB numbers are 0 or between 1E-130 and 9.9999999999999999999999999999999999999E+125 in magnitude"
)


@pytest.mark.parametrize(
    "value",
    [
        0.0,
        -0.0,
        1e-130,
        -1e-130,
        21.5,
        9.9e125,
        Decimal("9.9999999999999999999999999999999999999E+125"),
        "1" * 38,
    ],
)
def test_numbers_dynamodb_stores(value: Any) -> None:
    assert number_problem(value) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (1e-200, f"1e-200 cannot be stored: {RANGE}"),
        (-1e-131, f"-1e-131 cannot be stored: {RANGE}"),
        (5e-324, f"5e-324 cannot be stored: {RANGE}"),
        (1e126, f"1e+126 cannot be stored: {RANGE}"),
        ("1" * 39, f"{'1' * 39} cannot be stored: DynamoDB keeps 38 significant digits, not 39"),
        (
            "1234567890123456789012345678901234567.89",
            "cannot be stored: DynamoDB keeps 38 significant digits, not 39",
        ),
        (float("nan"), "nan is not a finite number"),
    ],
)
def test_numbers_dynamodb_refuses_are_named_with_the_reason(value: Any, problem: str) -> None:
    found = number_problem(value)
    assert found is not None
    assert found.endswith(problem)


def test_trailing_zeros_are_not_significant_digits() -> None:
    assert number_problem("1" * 38 + "0" * 50) is None
    assert number_problem("0." + "0" * 100 + "1" * 38) is None


@pytest.mark.parametrize("value", [1e-200, 5e-324, -1e-131])
def test_a_reading_with_a_value_dynamodb_cannot_store_is_invalid_and_names_the_metric(value: float) -> None:
    with pytest.raises(ValidationError) as info:
        Reading.model_validate({"sensor_id": "a", "ts": 0, "values": {"temperature": value}})
    [error] = info.value.errors()
    assert error["loc"] == ("values",)
    assert error["msg"] == f"Value error, temperature {value!r} cannot be stored: {RANGE}"


@pytest.mark.parametrize(
    ("value", "text"),
    [(21.5, "21.5"), (612.0, "612.0"), (1e-05, "0.00001"), (1e22, "10000000000000000000000")],
)
def test_numbers_are_written_as_plain_decimals(value: float, text: str) -> None:
    assert number(value) == text


def test_stored_values_compare_by_number_not_by_text() -> None:
    stored = {"M": {"co2": {"N": "612"}, "temperature": {"N": "21.50"}}}
    assert same_values(stored, {"co2": "612.0", "temperature": "21.5"})
    assert not same_values(stored, {"co2": "612.0", "temperature": "21.6"})
    assert not same_values(stored, {"co2": "612.0"})
    assert not same_values({}, {"co2": "612.0"})
