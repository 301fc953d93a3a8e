"""DynamoDB under concurrent writers, as two ingest tasks and the demo seed write at once in `dev`."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.emulation.testing import EmulatedAws


def test_transactions_and_puts_at_once_never_break_the_emulator(aws: EmulatedAws) -> None:
    dynamodb = aws.client("dynamodb")
    dynamodb.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
    )
    errors: list[BaseException] = []

    def transactions(worker: int) -> None:
        try:
            for n in range(15):
                items: list[Any] = [
                    {"Put": {"TableName": "t", "Item": {"k": {"S": f"{worker}-{n}-{i}"}},
                             "ConditionExpression": "attribute_not_exists(k)"}}
                    for i in range(10)
                ]  # fmt: skip
                dynamodb.transact_write_items(TransactItems=items)
        except BaseException as exc:
            errors.append(exc)

    def puts(worker: int) -> None:
        try:
            for n in range(150):
                dynamodb.put_item(TableName="t", Item={"k": {"S": f"p{worker}-{n}"}})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=transactions, args=(w,)) for w in range(2)]
    threads += [threading.Thread(target=puts, args=(w,)) for w in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert dynamodb.scan(TableName="t", Select="COUNT")["Count"] == 2 * 15 * 10 + 2 * 150


def test_a_transaction_that_fails_still_changes_nothing(aws: EmulatedAws) -> None:
    """moto restores its backup of each table when an item's condition fails (one backup per table)."""
    dynamodb = aws.client("dynamodb")
    for name in ("a", "b"):
        dynamodb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        )
    dynamodb.put_item(TableName="b", Item={"k": {"S": "taken"}, "v": {"S": "first"}})
    condition = "attribute_not_exists(k)"
    items: list[Any] = [
        {"Put": {"TableName": "a", "Item": {"k": {"S": "x"}}, "ConditionExpression": condition}},
        {"Put": {"TableName": "b", "Item": {"k": {"S": "y"}}, "ConditionExpression": condition}},
        {"Put": {"TableName": "b", "Item": {"k": {"S": "taken"}, "v": {"S": "second"}},
                 "ConditionExpression": condition}},
    ]  # fmt: skip
    with pytest.raises(ClientError) as error:
        dynamodb.transact_write_items(TransactItems=items)
    assert error.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert dynamodb.scan(TableName="a")["Items"] == []
    assert dynamodb.scan(TableName="b")["Items"] == [{"k": {"S": "taken"}, "v": {"S": "first"}}]
