"""Readings in DynamoDB's attribute-value form: keys, and numbers as DynamoDB stores them.

DynamoDB numbers (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html,
"Number"): zero, or a magnitude from 1E-130 to 9.9999999999999999999999999999999999999E+125, with at
most 38 significant digits. Anything else fails the whole request with a ValidationException.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

Key = tuple[str, str]

SMALLEST = Decimal("1E-130")
LARGEST = Decimal("9.9999999999999999999999999999999999999E+125")
MAX_DIGITS = 38


def key_of(item: dict[str, Any]) -> Key:
    """The (sensor_id, ts) key of a readings-table item in DynamoDB's attribute-value form."""
    return (str(item["sensor_id"]["S"]), str(item["ts"]["S"]))


def number(value: float) -> str:
    """A float as a DynamoDB number string: plain decimal digits, never an exponent."""
    text = repr(value)
    return text if "e" not in text else format(Decimal(text), "f")  # Decimal only for the rare exponent


def number_problem(value: float | Decimal | str) -> str | None:
    """Why DynamoDB cannot store `value` as a number (None if it can); a float is taken as written."""
    # A float's shortest form has at most 17 digits, so only its magnitude can be out of bounds, and
    # float comparisons decide it exactly: no double below 1e126 prints above the largest number.
    if isinstance(value, float) and (value == 0 or 1e-130 <= abs(value) < 1e126):
        return None
    try:
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return f"{value!r} is not a number"
    if not exact.is_finite():
        return f"{value} is not a finite number"
    if exact.is_zero():
        return None
    if not SMALLEST <= exact.copy_abs() <= LARGEST:  # copy_abs and comparisons never round
        return (
            f"{value} cannot be stored: DynamoDB numbers are 0 or between 1E-130 and "
            "9.9999999999999999999999999999999999999E+125 in magnitude"
        )
    digits = len("".join(map(str, exact.as_tuple().digits)).strip("0"))  # normalize() would round
    if digits > MAX_DIGITS:
        return f"{value} cannot be stored: DynamoDB keeps {MAX_DIGITS} significant digits, not {digits}"
    return None


def same_values(stored: dict[str, Any], values: dict[str, str]) -> bool:
    """True if a stored `values` map (`{"M": {metric: {"N": ...}}}`) holds exactly `values` (metric ->
    number string); numbers compare by value, since DynamoDB trims zeros (612.0 comes back as 612)."""
    held = stored.get("M", {})
    if set(held) != set(values):
        return False
    return all(Decimal(held[metric]["N"]) == Decimal(text) for metric, text in values.items())
