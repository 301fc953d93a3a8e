"""What a hostile client sends to ingest: numbers DynamoDB cannot store, timestamps at the edge of the
calendar, integers of thousands of digits, and one instant written two ways. Each is refused with a 422
naming the field (never a 500 or a 503 that no retry can fix), or stored exactly once."""

from __future__ import annotations

import json
import random
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest

from homestack_sensordata import dynamodb_client
from reliability.figures import Figures
from reliability.fleet import KEY, READINGS_TABLE, Fleet

AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
NOW = int(time.time())
HUGE = "9" * 5000  # past Python's 4300-digit limit for int(str)
INSTANTS = 3000


def _post(fleet: Fleet, body: str | bytes) -> httpx.Response:
    return httpx.post(f"{fleet.ingest}/readings", content=body, headers=AUTH, timeout=30)


def _stored(fleet: Fleet, sensor: str) -> int:
    client = dynamodb_client(endpoint_url=fleet.dynamodb)
    found = client.query(
        TableName=READINGS_TABLE,
        KeyConditionExpression="sensor_id = :s",
        ExpressionAttributeValues={":s": {"S": sensor}},
        Select="COUNT",
        ConsistentRead=True,
    )
    return int(found["Count"])


def _reading(sensor: str, **fields: Any) -> dict[str, Any]:
    return {"sensor_id": sensor, "ts": NOW - 60, "values": {"temperature": 21.0}, **fields}


# DynamoDB numbers are 0 or of magnitude 1E-130 to 9.99..E+125, with at most 38 significant digits:
# each of these is inside its metric's physical range, and DynamoDB refuses to store it.
UNSTORABLE = [
    ("humidity", "1e-200"),
    ("temperature", "-1e-131"),
    ("co2", "5e-324"),
    ("battery", "0." + "0" * 140 + "1"),
]


@pytest.mark.parametrize(("metric", "literal"), UNSTORABLE)
def test_a_number_dynamodb_cannot_store_is_a_422_naming_it_and_nothing_is_stored(
    fleet: Fleet, figures: Figures, metric: str, literal: str
) -> None:
    sensor = f"unstorable-{metric}"
    good = [json.dumps(_reading(sensor, ts=NOW - 120 - n)) for n in range(24)]
    bad = f'{{"sensor_id": "{sensor}", "ts": {NOW - 60}, "values": {{"{metric}": {literal}}}}}'
    body = '{"readings": [' + ", ".join([*good[:7], bad, *good[7:]]) + "]}"
    response = _post(fleet, body)
    figures.count("cases tried")
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["field"] == f"readings[7].values.{metric}"
    assert "DynamoDB" in detail["message"]
    assert _stored(fleet, sensor) == 0


HOSTILE: list[tuple[str, str, str]] = [
    ("latest instant, offset -23:59", '{"ts": "9999-12-31T23:59:59-23:59"}', "ts"),
    ("earliest instant, offset +23:59", '{"ts": "0001-01-01T00:00:00+23:59"}', "ts"),
    ("400-digit integer ts", '{"ts": ' + "9" * 400 + "}", "ts"),
    ("5000-digit integer ts", '{"ts": ' + HUGE + "}", "ts"),
    ("5000-digit integer value", '{"values": {"temperature": ' + HUGE + "}}", "values.temperature"),
    ("5000-digit negative value", '{"values": {"co2": -' + HUGE + "}}", "values.co2"),
    ("5000-digit integer sensor_id", '{"sensor_id": ' + HUGE + "}", "sensor_id"),
    ("5000-digit integer name", '{"name": ' + HUGE + "}", "name"),
    ("5000-digit integer in units", '{"units": {"temperature": ' + HUGE + "}}", "units.temperature"),
    ("5000-digit integer, unknown field", '{"extra": ' + HUGE + "}", "extra"),
]


@pytest.mark.parametrize(("case", "override", "field"), HOSTILE, ids=[case for case, _, _ in HOSTILE])
def test_edge_timestamps_and_huge_integers_are_a_422_naming_the_field(
    fleet: Fleet, figures: Figures, case: str, override: str, field: str
) -> None:
    base = json.dumps(_reading("hostile-numbers"))
    reading = base[:-1] + ", " + override[1:]  # the override's keys come last and win
    for body, where in (
        (reading, field),
        ('{"readings": [' + base + ", " + reading + "]}", f"readings[1].{field}"),
    ):
        response = _post(fleet, body)
        figures.count("cases tried")
        assert response.status_code == 422, f"{case}: {response.status_code} {response.text[:300]}"
        fields = [detail["field"] for detail in response.json()["error"]["details"]]
        assert fields == [where], case
    assert _stored(fleet, "hostile-numbers") == 0


def _instants(count: int) -> list[Decimal]:
    """Distinct instants (ns resolution) within a microsecond below a millisecond boundary: where
    truncating one notation and rounding the other used to land in different milliseconds."""
    rng = random.Random(20261126)
    milliseconds = rng.sample(range((NOW - 20 * 3600) * 1000, (NOW - 3600) * 1000), count)
    return [Decimal(ms) / 1000 - Decimal(rng.randrange(1, 1000)) / 10**9 for ms in milliseconds]


def _iso(instant: Decimal) -> str:
    seconds, fraction = divmod(instant, 1)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(seconds))) + f"{fraction:.9f}"[1:] + "Z"


def _item(ts: str) -> str:
    return f'{{"sensor_id": "instants", "ts": {ts}, "values": {{"co2": 500}}}}'


def test_one_instant_written_as_iso_and_as_epoch_seconds_is_stored_once(
    fleet: Fleet, figures: Figures
) -> None:
    instants = _instants(INSTANTS)
    stored_twice = 0
    for form in ("iso", "epoch"):
        for first in range(0, INSTANTS, 500):
            # Epoch seconds go out as the instant's exact decimal digits, a JSON number.
            items = [
                _item(json.dumps(_iso(t)) if form == "iso" else str(t)) for t in instants[first : first + 500]
            ]
            response = _post(fleet, '{"readings": [' + ", ".join(items) + "]}")
            assert response.status_code == 200, response.text
            if form == "epoch":
                stored_twice += response.json()["stored"]
    figures.count("cases tried", 2 * INSTANTS // 500)
    figures.note(f"one instant, two notations: {INSTANTS} instants, {stored_twice} stored twice")
    assert stored_twice == 0
    assert _stored(fleet, "instants") == INSTANTS
