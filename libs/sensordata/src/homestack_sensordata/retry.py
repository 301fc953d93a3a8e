"""Retrying DynamoDB calls: the backoff policy, which errors a retry can fix, and attempts bounded by a
deadline, each call's read timeout cut to the time left (so a database that never answers cannot hold a
caller past the deadline)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Errors that say "try again later", not "this request is wrong".
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
        "TransactionInProgressException",  # the same transaction (same token) is still being applied
    }
)
# A call is not started with less time than this left: it could not get an answer in time anyway.
MIN_CALL_SECONDS = 0.05


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded by attempts per call and time per write."""

    max_attempts: int = 8
    base_delay: float = 0.05
    max_delay: float = 1.0
    deadline: float = 10.0  # seconds for one whole write, so a caller is never held indefinitely
    # The longest one call may wait for its answer (None: as long as the deadline allows). A call never
    # waits past the deadline; a cap below it lets a retry get past a connection that hangs, at the
    # price of giving up on a database that is slow but working (DynamoDB Local warming up takes
    # seconds per transaction).
    call_timeout: float | None = None

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
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        return failure_reason(exc) in RETRYABLE_CODES or status >= 500  # a 5xx is the server's trouble
    # ReadTimeoutError is an HTTPClientError: the write may have happened, and repeating it is harmless.
    return isinstance(exc, ConnectionError | HTTPClientError)


class Attempts:
    """The attempts one DynamoDB call may make: at most the policy's count, none started too late to
    be answered before `deadline` (a `clock()` time), with backoff between them."""

    def __init__(
        self,
        policy: RetryPolicy,
        deadline: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy, self.deadline, self._clock, self._sleep = policy, deadline, clock, sleep

    def left(self) -> float:
        return self.deadline - self._clock()

    def __iter__(self) -> Iterator[int]:
        for attempt in range(self.policy.max_attempts):
            if self.left() < MIN_CALL_SECONDS:
                return
            yield attempt

    @contextmanager
    def timeout(self) -> Iterator[None]:
        """Calls made in this block (on this thread) wait at most until the deadline for an answer."""
        left = self.left()
        cap = left if self.policy.call_timeout is None else min(self.policy.call_timeout, left)
        with read_timeout(max(MIN_CALL_SECONDS, cap)):
            yield

    def backoff(self, attempt: int) -> bool:
        """Sleep before the attempt after `attempt`; False when no attempt or time is left for it."""
        if attempt + 1 >= self.policy.max_attempts:
            return False
        delay = self.policy.delay(attempt)
        if self.left() - delay < MIN_CALL_SECONDS:
            return False
        self._sleep(delay)
        return True


# botocore reads a `read_timeout` from a call's request context and uses it instead of the client's
# (https://github.com/boto/botocore/pull/3770): a hook copies this thread's current timeout there.
_per_thread = threading.local()


def _apply_read_timeout(context: dict[str, Any], **_: Any) -> None:
    seconds = getattr(_per_thread, "read_timeout", None)
    if seconds is not None:
        context["read_timeout"] = seconds


def enable_call_timeouts(client: DynamoDBClient) -> None:
    """Let `read_timeout` blocks set the read timeout of `client`'s calls (idempotent)."""
    client.meta.events.register(
        "before-call.dynamodb", _apply_read_timeout, unique_id="homestack-read-timeout"
    )


@contextmanager
def read_timeout(seconds: float) -> Iterator[None]:
    """DynamoDB calls this thread makes in the block wait at most `seconds` for each read of the answer
    (on clients passed to `enable_call_timeouts`)."""
    previous = getattr(_per_thread, "read_timeout", None)
    _per_thread.read_timeout = seconds
    try:
        yield
    finally:
        _per_thread.read_timeout = previous


class RetriedTable:
    """One table's writes, each retried under a policy within a deadline (what the readings history
    and the snapshots share); thread-safe."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        policy: RetryPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client, self._table, self._policy = client, table, policy
        self._clock, self._sleep = clock, sleep

    def _attempts(self, deadline: float) -> Attempts:
        return Attempts(self._policy, deadline, clock=self._clock, sleep=self._sleep)
