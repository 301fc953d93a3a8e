"""Demo data: create the sensors and readings tables on a local endpoint and fill them with sensors."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from homestack_sensordata import READINGS, SENSORS, Reading, create_table, dynamodb_client, format_ts

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ROOMS = ["kitchen", "living", "bedroom", "office", "garage", "hall", "bath", "attic", "cellar", "porch"]


def _number(value: float) -> dict[str, str]:
    return {"N": repr(round(value, 2))}


def _values(rng: random.Random, hour: float) -> dict[str, float]:
    return {
        "temperature": 19 + 3 * math.sin(hour / 24 * 2 * math.pi) + rng.uniform(-0.5, 0.5),
        "humidity": 45 + rng.uniform(-5, 5),
        "co2": 500 + rng.uniform(0, 400),
    }


def _batch_put(client: DynamoDBClient, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        pending: Any = {table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None


def seed(
    endpoint: str,
    *,
    sensors_table: str = "homestack-sensors",
    readings_table: str = "homestack-readings",
    sensors: int = 12,
    readings_per_sensor: int = 48,
    now: datetime | None = None,
) -> list[str]:
    """Create both tables (if missing) and write `sensors` sensors with a reading every 30 minutes."""
    client = dynamodb_client(endpoint_url=endpoint)
    existing = set(client.list_tables()["TableNames"])
    for spec, name in ((SENSORS, sensors_table), (READINGS, readings_table)):
        if name not in existing:
            create_table(client, spec, name)
    rng = random.Random(7)
    end = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    ids: list[str] = []
    snapshots: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for index in range(sensors):
        room = ROOMS[index % len(ROOMS)]
        sensor_id = f"{room}-{index // len(ROOMS) + 1}"
        ids.append(sensor_id)
        values: dict[str, float] = {}
        for step in range(readings_per_sensor, -1, -1):
            ts = end - timedelta(minutes=30 * step)
            values = _values(rng, ts.hour + ts.minute / 60)
            Reading.model_validate({"sensor_id": sensor_id, "ts": ts, "values": values})  # stays valid
            history.append(
                {
                    "sensor_id": {"S": sensor_id},
                    "ts": {"S": format_ts(ts)},
                    "values": {"M": {k: _number(v) for k, v in values.items()}},
                    "expires_at": {"N": str(int((ts + timedelta(days=30)).timestamp()))},
                }
            )
        snapshots.append(
            {
                "sensor_id": {"S": sensor_id},
                "name": {"S": f"{room.title()} {index // len(ROOMS) + 1}"},
                "ts": {"S": format_ts(end)},
                "values": {"M": {k: _number(v) for k, v in values.items()}},
                "units": {"M": {"temperature": {"S": "C"}, "humidity": {"S": "%"}, "co2": {"S": "ppm"}}},
            }
        )
    _batch_put(client, sensors_table, snapshots)
    _batch_put(client, readings_table, history)
    return ids
