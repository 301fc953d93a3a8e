"""Ingest at full speed while DynamoDB throttles a share of calls and leaves items unprocessed, and while
the ingest process is killed and restarted twice: afterwards every acknowledged reading is stored exactly
once, nothing is stored that was not acknowledged, and every sensor's snapshot is its newest reading."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from homestack_ingest.simulate import Config, Summary, simulate
from homestack_sensordata import READINGS, SENSORS, create_table, dynamodb_client, format_ts
from reliability.figures import Figures
from reliability.fleet import KEY, Fleet, service_env
from reliability.restartable import Restartable

SECONDS = 30.0
KILLS = 2
FAULT_SHARE = 0.2
SENSORS_TABLE, READINGS_TABLE = "faults-sensors", "faults-readings"


@dataclass(frozen=True)
class Audit:
    acknowledged: int
    missing: int
    acknowledged_twice: int
    stored_unacknowledged: int
    stale_snapshots: int


def _audit(endpoint: str, summary: Summary) -> Audit:
    client = dynamodb_client(endpoint_url=endpoint, read_timeout=120)  # moto scans big tables slowly
    stored: Counter[tuple[str, str]] = Counter()
    for page in client.get_paginator("scan").paginate(
        TableName=READINGS_TABLE,
        ProjectionExpression="sensor_id, #ts",
        ExpressionAttributeNames={"#ts": "ts"},
    ):
        stored.update((item["sensor_id"]["S"], item["ts"]["S"]) for item in page["Items"])
    acked = Counter((s, format_ts(datetime.fromisoformat(ts))) for s, ts in summary.acknowledged_keys)
    newest: dict[str, str] = {}
    for sensor, ts in acked:
        newest[sensor] = max(ts, newest.get(sensor, ts))
    snapshots = {
        item["sensor_id"]["S"]: item["ts"]["S"]
        for page in client.get_paginator("scan").paginate(TableName=SENSORS_TABLE)
        for item in page["Items"]
    }
    return Audit(
        acknowledged=len(acked),
        missing=len(set(acked) - set(stored)),
        acknowledged_twice=sum(n - 1 for n in acked.values()) + sum(n - 1 for n in stored.values()),
        stored_unacknowledged=len(set(stored) - set(acked)),
        stale_snapshots=sum(snapshots.get(sensor) != ts for sensor, ts in newest.items()),
    )


async def _drive(ingest: Restartable) -> Summary:
    config = Config(
        url=ingest.url,
        key=KEY,
        sensors=60,
        interval=60.0,
        rate=0,  # as fast as ingest answers
        duration=SECONDS,
        batch=100,
        buffer=20,
        concurrency=8,
        backfill=5 * 86_400.0,
        track=True,
    )
    load = asyncio.create_task(simulate(config))
    for _ in range(KILLS):
        await asyncio.sleep(SECONDS / (KILLS + 1))
        await asyncio.to_thread(ingest.restart)
    return await load


@pytest.mark.slow
def test_every_acknowledged_reading_is_stored_exactly_once_through_faults_and_kills(
    fleet: Fleet, figures: Figures, tmp_path: Path
) -> None:
    client = dynamodb_client(endpoint_url=fleet.dynamodb)
    create_table(client, SENSORS, SENSORS_TABLE)
    create_table(client, READINGS, READINGS_TABLE)
    fault_log = tmp_path / "faults.log"
    env = service_env(
        fleet.dynamodb,
        SENSOR_TABLE=SENSORS_TABLE,
        READINGS_TABLE=READINGS_TABLE,
        INGEST_API_KEY=KEY,
        FAULT_SHARE=str(FAULT_SHARE),
        FAULT_LOG=str(fault_log),
    )
    with Restartable("reliability.faulty_ingest:app", env, fleet.logs, "ingest-faults").running() as ingest:
        summary = asyncio.run(_drive(ingest))
    audit = _audit(fleet.dynamodb, summary)
    injected = Counter(fault_log.read_text().splitlines())
    figures.count("faults injected", sum(injected.values()) + KILLS)
    figures.count("readings lost", audit.missing)
    figures.note(
        f"ingest under faults: {SECONDS:g} s, {KILLS} SIGKILL+restart, "
        + ", ".join(f"{n} {what}" for what, n in sorted(injected.items()))
        + f"; {summary.requests} requests ({summary.retries} resends), {audit.acknowledged} readings "
        f"acknowledged, {audit.missing} missing, {audit.acknowledged_twice} twice, "
        f"{audit.stored_unacknowledged} stored unacknowledged, {audit.stale_snapshots} stale snapshots, "
        f"{summary.given_up} given up"
    )
    assert ingest.starts == KILLS + 1
    assert sum(injected.values()) > 0
    assert audit.acknowledged >= 1000, "too little load to prove anything"
    assert summary.given_up == 0
    assert (audit.missing, audit.acknowledged_twice, audit.stored_unacknowledged, audit.stale_snapshots) == (
        0,
        0,
        0,
        0,
    )
