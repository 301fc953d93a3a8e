"""The baseline, written the way the seed's sensors service was: async handlers calling synchronous boto3.

Kept deliberately faithful to the seed's faults (do not fix them here): every boto3 call blocks the event
loop, an unknown sensor is `200 {}`, and `scan(Limit=100)` silently drops every sensor after the 100th.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from fastapi import FastAPI

app = FastAPI()
table = boto3.resource("dynamodb").Table(os.environ.get("SENSOR_TABLE", "sensors"))


@app.get("/sensors")
async def list_sensors() -> Any:
    return table.scan(Limit=100)["Items"]


@app.get("/sensors/{sensor_id}")
async def get_sensor(sensor_id: str) -> Any:
    return table.get_item(Key={"sensor_id": sensor_id}).get("Item", {})


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
