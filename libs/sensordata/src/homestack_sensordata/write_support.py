"""Helpers for the write side: retry policy, DynamoDB error classification, attribute values."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

Key = tuple[str, str]

# Errors that say "try again later", not "this request is wrong".
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
    }
)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded by attempts per call and time per write."""

    max_attempts: int = 8
    base_delay: float = 0.05
    max_delay: float = 1.0
    deadline: float = 10.0  # seconds for one whole write, so a caller is never held indefinitely

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (0-based)."""
        # Full jitter spreads retries from many writers so they do not throttle again in lockstep.
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))  # noqa: S311


def failure_reason(exc: BaseException) -> str:
    """A short, safe description of why a DynamoDB call failed (the error code, not the payload)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__


def is_retryable(exc: BaseException) -> bool:
    """True for throttling, server-side and connection errors; False for requests that are wrong."""
    if isinstance(exc, ClientError):
        return failure_reason(exc) in RETRYABLE_CODES
    # ReadTimeoutError is an HTTPClientError: the write may have happened, and repeating it is harmless.
    return isinstance(exc, ConnectionError | HTTPClientError)


def key_of(item: dict[str, Any]) -> Key:
    """The (sensor_id, ts) key of a readings-table item in DynamoDB's attribute-value form."""
    return (str(item["sensor_id"]["S"]), str(item["ts"]["S"]))


def number(value: float) -> str:
    """A float as a DynamoDB number string: plain decimal digits, never an exponent."""
    text = repr(value)
    return text if "e" not in text else format(Decimal(text), "f")  # Decimal only for the rare exponent
