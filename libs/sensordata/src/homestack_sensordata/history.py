"""Readings into the readings table, where the first write of a (sensor_id, ts) wins.

Each item is put on the condition that its key does not exist yet: the check and the write are one
step in DynamoDB, so no two writers can both believe they stored a key. A put that fails its condition
comes back with the stored item (ReturnValuesOnConditionCheckFailure), which tells a duplicate from a
conflicting reading without reading the table first.

Several items go in one TransactWriteItems of up to 100 conditional puts
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html): one call for
a hundred readings instead of a hundred, which is what keeps a backlog upload fast (measured against
one conditional PutItem per reading by `python -m bench.ingest.mechanisms`). A lone item is one
conditional PutItem: a transaction would cost it twice the write capacity for nothing.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from homestack_sensordata.attribute_values import Key, key_of
from homestack_sensordata.retry import Attempts, RetryPolicy, failure_reason, is_retryable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

logger = logging.getLogger("homestack.writer")

TRANSACT_LIMIT = 100  # DynamoDB's maximum actions per TransactWriteItems
CONDITION = "attribute_not_exists(sensor_id)"  # no item with this key yet
CANCELLED = "TransactionCanceledException"
# Reasons a cancelled transaction gives for an item that a later attempt can get past (an item with
# "None" was fine: another item stopped the transaction).
PASSING = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded",
                     "RequestLimitExceeded", "InternalServerError"})  # fmt: skip


@dataclass
class Puts:
    """What happened to each key put: written now, already there (with its stored item), or failed."""

    written: set[Key] = field(default_factory=set)
    existing: dict[Key, dict[str, Any]] = field(default_factory=dict)
    failed: dict[Key, tuple[str, bool]] = field(default_factory=dict)  # key -> (reason, retryable)

    def merge(self, other: Puts) -> None:
        self.written |= other.written
        self.existing.update(other.existing)
        self.failed.update(other.failed)


class History:
    """Conditional puts of readings-table items, retried within a deadline; thread-safe."""

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

    def put(self, items: list[dict[str, Any]], deadline: float) -> Puts:
        """Put `items` (at most TRANSACT_LIMIT, distinct keys) unless their key is already stored."""
        if len(items) == 1:
            return self._put_one(items[0], deadline)
        outcome = Puts()
        pending = items
        token = uuid.uuid4().hex  # the same token on a retry: DynamoDB applies a transaction once
        reason, retryable = "not attempted: no time was left", True
        attempts = Attempts(self._policy, deadline, clock=self._clock, sleep=self._sleep)
        for attempt in attempts:
            try:
                with attempts.timeout():
                    self._client.transact_write_items(
                        TransactItems=[self._action(item) for item in pending], ClientRequestToken=token
                    )
            except ClientError as exc:
                reasons = exc.response.get("CancellationReasons", [])
                if failure_reason(exc) == CANCELLED and len(reasons) == len(pending):
                    innocent, culprits, reason = self._sort_out(pending, reasons, outcome)
                    token = uuid.uuid4().hex  # another set of items: another transaction
                    if culprits and innocent:  # held up only by the others: let them through alone
                        outcome.merge(self.put(innocent, deadline))
                        innocent = []
                    pending = culprits or innocent
                    if not pending or (culprits and not attempts.backoff(attempt)):
                        break
                    continue
                if failure_reason(exc) == "ValidationException" and len(pending) > 1:
                    # One item DynamoDB refuses fails the whole call: halve until it stands alone.
                    half = len(pending) // 2
                    outcome.merge(self.put(pending[:half], deadline))
                    outcome.merge(self.put(pending[half:], deadline))
                    return outcome
                reason, retryable = failure_reason(exc), is_retryable(exc)
            except Exception as exc:  # connection errors and timeouts: botocore's, not ClientError
                reason, retryable = failure_reason(exc), is_retryable(exc)
            else:
                outcome.written.update(key_of(item) for item in pending)
                return outcome
            if not retryable or not attempts.backoff(attempt):
                break
        if not retryable:  # a service's logs must say why readings were not stored (AccessDenied...)
            logger.warning("DynamoDB refused writing to %s: %s", self._table, reason)
        outcome.failed.update(dict.fromkeys((key_of(item) for item in pending), (reason, retryable)))
        return outcome

    def _put_one(self, item: dict[str, Any], deadline: float) -> Puts:
        outcome = Puts()
        key = key_of(item)
        reason, retryable = "not attempted: no time was left", True
        attempts = Attempts(self._policy, deadline, clock=self._clock, sleep=self._sleep)
        for attempt in attempts:
            try:
                with attempts.timeout():
                    self._client.put_item(
                        TableName=self._table,
                        Item=item,
                        ConditionExpression=CONDITION,
                        ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    )
            except ClientError as exc:
                # After a lost answer this may be our own earlier attempt: it then counts as a
                # duplicate, never as stored twice.
                if failure_reason(exc) == "ConditionalCheckFailedException" and "Item" in exc.response:
                    outcome.existing[key] = dict(exc.response["Item"])  # type: ignore[typeddict-item]
                    return outcome
                reason, retryable = failure_reason(exc), is_retryable(exc)
            except Exception as exc:
                reason, retryable = failure_reason(exc), is_retryable(exc)
            else:
                outcome.written.add(key)
                return outcome
            if not retryable or not attempts.backoff(attempt):
                break
        if not retryable:
            logger.warning("DynamoDB refused writing to %s: %s", self._table, reason)
        outcome.failed[key] = (reason, retryable)
        return outcome

    def _action(self, item: dict[str, Any]) -> TransactWriteItemTypeDef:
        return {
            "Put": {
                "TableName": self._table,
                "Item": item,
                "ConditionExpression": CONDITION,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    @staticmethod
    def _sort_out(
        pending: list[dict[str, Any]], reasons: Sequence[Mapping[str, Any]], outcome: Puts
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
        """Settle the items a cancelled transaction says are settled; return the rest as (items that
        were fine, items that stopped the transaction but may get through later, why they stopped it)."""
        innocent: list[dict[str, Any]] = []
        culprits: list[dict[str, Any]] = []
        reason = "transaction cancelled"
        for item, why in zip(pending, reasons, strict=True):
            code = str(why.get("Code", "None"))
            key = key_of(item)
            if code == "ConditionalCheckFailed" and "Item" in why:
                outcome.existing[key] = why["Item"]
            elif code == "None":
                innocent.append(item)
            elif code in PASSING:
                culprits.append(item)
                reason = f"{code} (transaction cancelled)"
            else:  # ValidationError, ItemCollectionSizeLimitExceeded, ...: no retry gets past it
                outcome.failed[key] = (f"{code}: {why.get('Message', 'refused by DynamoDB')}", False)
        return innocent, culprits, reason
