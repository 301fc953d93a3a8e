"""The baseline: the obvious ingest, one reading per request and one PutItem per reading.

It validates with the same model and writes the same item, from a threadpool (a `def` handler), so the
comparison isolates batching; it does no duplicate check and keeps no snapshot (less work than ours).
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Header, HTTPException

from homestack_sensordata import Reading, dynamodb_client, format_ts

app = FastAPI()
client = dynamodb_client()
TABLE = os.environ.get("READINGS_TABLE", "readings")
KEYS = {k for k in os.environ.get("INGEST_API_KEY", "").split(",") if k}
RETENTION = timedelta(days=30)


@app.post("/readings")
def post_reading(reading: Reading, authorization: str = Header(default="")) -> dict[str, Any]:
    if authorization.removeprefix("Bearer ") not in KEYS:
        raise HTTPException(401, "invalid API key")
    client.put_item(
        TableName=TABLE,
        Item={
            "sensor_id": {"S": reading.sensor_id},
            "ts": {"S": format_ts(reading.ts)},
            "values": {"M": {m.value: {"N": repr(v)} for m, v in reading.values.items()}},
            "expires_at": {"N": str(int((reading.ts + RETENTION).timestamp()))},
        },
    )
    return {"received": 1, "stored": 1, "duplicates": 0, "conflicts": 0, "conflicting": []}


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
