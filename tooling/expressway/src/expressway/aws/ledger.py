"""The environment's operations table `<project>-<env>-expressway` in DynamoDB: deploy locks and records."""

from __future__ import annotations

import threading
from typing import Any

from expressway.aws.dynamodb import TABLE_WAIT, Dynamo
from expressway.aws.session import client, run
from expressway.errors import AwsError
from expressway.registry import Environment, Table
from expressway.registry.names import TAG_ENVIRONMENT, TAG_PROJECT, Names

CONFLICT = "ConditionalCheckFailedException"


class Ledger:
    """Items keyed (pk, sk): `lock#<service>`/`lock` for locks, `deploy#<service>`/`<time>#<id>` for records.

    One small pay-per-request table per environment; created on first use, left in place by destroy
    (it is the deploy history).
    """

    def __init__(self, env: Environment, names: Names) -> None:
        self.environment = env
        self.api = client(env, "dynamodb")
        self.table = names.ledger_table
        self._tags = {TAG_PROJECT: names.project, TAG_ENVIRONMENT: names.env}
        self._ready = False
        self._lock = threading.Lock()

    def ensure(self) -> None:
        """Create the table on first use; another deploy creating it at the same moment is fine."""
        with self._lock:
            if self._ready:
                return
            try:
                Dynamo(self.environment).ensure_table(
                    self.table, Table(partition_key="pk", sort_key="sk"), self._tags
                )
            except AwsError as exc:
                if exc.code != "ResourceInUseException":
                    raise
                waiter = self.api.get_waiter("table_exists")
                run(
                    f"wait for table {self.table}",
                    waiter.wait,
                    TableName=self.table,
                    WaiterConfig=TABLE_WAIT,
                )
            self._ready = True

    def put(
        self,
        item: dict[str, Any],
        condition: str | None = None,
        values: dict[str, Any] | None = None,
        names: dict[str, str] | None = None,
    ) -> bool:
        """Write `item`; False when `condition` does not hold (someone else's item is there)."""
        self.ensure()
        extra: dict[str, Any] = {}
        if condition:
            extra["ConditionExpression"] = condition
        if values:
            extra["ExpressionAttributeValues"] = values
        if names:
            extra["ExpressionAttributeNames"] = names
        try:
            run(
                f"write {item['pk']} to {self.table}",
                self.api.put_item,
                TableName=self.table,
                Item=item,
                **extra,
            )
        except AwsError as exc:
            if exc.code == CONFLICT:
                return False
            raise
        return True

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        self.ensure()
        found = run(
            f"read {pk} from {self.table}",
            self.api.get_item,
            TableName=self.table,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        item: dict[str, Any] | None = found.get("Item")
        return item

    def delete(
        self, pk: str, sk: str, condition: str, values: dict[str, Any], names: dict[str, str] | None = None
    ) -> bool:
        """Delete the item if `condition` holds; False when it does not (it is no longer ours)."""
        self.ensure()
        try:
            run(
                f"delete {pk} from {self.table}",
                self.api.delete_item,
                TableName=self.table,
                Key={"pk": {"S": pk}, "sk": {"S": sk}},
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                **({"ExpressionAttributeNames": names} if names else {}),
            )
        except AwsError as exc:
            if exc.code == CONFLICT:
                return False
            raise
        return True

    def query(self, pk: str, limit: int = 50) -> list[dict[str, Any]]:
        """Items under `pk`, newest sort key first."""
        self.ensure()
        items: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while len(items) < limit:
            extra = {"ExclusiveStartKey": start} if start else {}
            page = run(
                f"read {pk} from {self.table}",
                self.api.query,
                TableName=self.table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": pk}},
                ScanIndexForward=False,
                ConsistentRead=True,
                Limit=limit - len(items),
                **extra,
            )
            items += page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        return items
