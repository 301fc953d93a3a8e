"""Specs of the DynamoDB tables the fleet owns, shared by the services, the deploy tool's docs and tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class TableSpec:
    """Key schema of one table; the physical name comes from settings (the registry sets it per env)."""

    logical_name: str
    partition_key: str
    sort_key: str | None = None
    ttl_attribute: str | None = None

    def create_table_args(self, physical_name: str) -> dict[str, Any]:
        """Arguments for DynamoDB CreateTable (on-demand billing; string keys)."""
        keys = [{"AttributeName": self.partition_key, "KeyType": "HASH"}]
        attributes = [{"AttributeName": self.partition_key, "AttributeType": "S"}]
        if self.sort_key:
            keys.append({"AttributeName": self.sort_key, "KeyType": "RANGE"})
            attributes.append({"AttributeName": self.sort_key, "AttributeType": "S"})
        return {
            "TableName": physical_name,
            "KeySchema": keys,
            "AttributeDefinitions": attributes,
            "BillingMode": "PAY_PER_REQUEST",
        }


SENSORS = TableSpec("sensors", partition_key="sensor_id")
READINGS = TableSpec("readings", partition_key="sensor_id", sort_key="ts", ttl_attribute="expires_at")


def create_table(client: DynamoDBClient, spec: TableSpec, physical_name: str) -> None:
    """Create `spec` as `physical_name` and enable its TTL (for tests and the local cloud)."""
    client.create_table(**spec.create_table_args(physical_name))
    client.get_waiter("table_exists").wait(TableName=physical_name, WaiterConfig={"Delay": 1})
    if spec.ttl_attribute:
        client.update_time_to_live(
            TableName=physical_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
        )
