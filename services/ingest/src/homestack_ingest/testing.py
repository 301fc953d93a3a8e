"""Helpers for testing the ingest service through HTTP against a DynamoDB the caller provides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient

from homestack_ingest.runtime import Ingest
from homestack_ingest.settings import IngestSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SENSORS_TABLE = "t-sensors"
READINGS_TABLE = "t-readings"
KEY = "k3y-for-tests-0123456789"
OLD_KEY = "old-key-still-valid-9876"


@dataclass
class Service:
    """An ingest app under test, the DynamoDB it writes to, and its runtime (for fault injection)."""

    http: TestClient
    dynamodb: DynamoDBClient
    ingest: Ingest

    def post(self, body: Any, key: str | None = KEY, **headers: str | bytes) -> Any:
        if key is not None:
            headers.setdefault("Authorization", f"Bearer {key}")
        raw = {k.encode(): v if isinstance(v, bytes) else v.encode("latin-1") for k, v in headers.items()}
        return self.http.post("/readings", json=body, headers=raw)

    def stored(self) -> list[tuple[str, str]]:
        items = self.dynamodb.scan(TableName=READINGS_TABLE)["Items"]
        return sorted((i["sensor_id"]["S"], i["ts"]["S"]) for i in items)


def answer(
    received: int, *, stored: int = 0, duplicates: int = 0, conflicting: list[int] | None = None
) -> Any:
    """The 200 body POST /readings gives for these counts (conflicting: indexes of the conflicts)."""
    found = conflicting or []
    return {
        "received": received,
        "stored": stored,
        "duplicates": duplicates,
        "conflicts": len(found),
        "conflicting": found,
    }


def settings_for_tests(**overrides: Any) -> IngestSettings:
    """Settings pointing at the test tables, with two accepted keys and near-instant retries."""
    values: dict[str, Any] = {
        "sensor_table": SENSORS_TABLE,
        "readings_table": READINGS_TABLE,
        "ingest_api_key": f"{KEY},{OLD_KEY}",
        "write_retry_base_delay_seconds": 0.001,
        "write_max_attempts": 5,
        # In-process moto copies the whole table on every transaction: slow, so a generous deadline.
        "write_deadline_seconds": 30.0,
    }
    values.update(overrides)
    return IngestSettings(**values)
