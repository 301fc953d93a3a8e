"""DynamoDB: the fleet's tables, on demand, with TTL where declared."""

from __future__ import annotations

from typing import Any

from expressway.aws.session import client, run
from expressway.errors import NotFoundError
from expressway.registry import Environment, Table

# A new table takes seconds, but may take minutes in a busy region: poll every 2 s for 5 minutes.
TABLE_WAIT = {"Delay": 2, "MaxAttempts": 150}


class Dynamo:
    def __init__(self, env: Environment) -> None:
        self.api = client(env, "dynamodb")

    def ensure_table(self, name: str, spec: Table, tags: dict[str, str]) -> list[str]:
        """Create table `name` if missing (pay per request) and enable its TTL; returns what changed."""
        done: list[str] = []
        try:
            run(f"describe table {name}", self.api.describe_table, TableName=name)
        except NotFoundError:
            keys: list[dict[str, Any]] = [{"AttributeName": spec.partition_key, "KeyType": "HASH"}]
            attributes = [{"AttributeName": spec.partition_key, "AttributeType": "S"}]
            if spec.sort_key:
                keys.append({"AttributeName": spec.sort_key, "KeyType": "RANGE"})
                attributes.append({"AttributeName": spec.sort_key, "AttributeType": "S"})
            run(
                f"create table {name}",
                self.api.create_table,
                TableName=name,
                KeySchema=keys,
                AttributeDefinitions=attributes,
                BillingMode="PAY_PER_REQUEST",
                Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
            )
            with_waiter = self.api.get_waiter("table_exists")
            run(f"wait for table {name}", with_waiter.wait, TableName=name, WaiterConfig=TABLE_WAIT)
            done.append("created")
        if spec.ttl_attribute:
            ttl = run(f"read TTL of {name}", self.api.describe_time_to_live, TableName=name)
            current = ttl.get("TimeToLiveDescription", {})
            if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                run(
                    f"enable TTL on {name}",
                    self.api.update_time_to_live,
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
                )
                done.append(f"TTL on {spec.ttl_attribute}")
        return done
