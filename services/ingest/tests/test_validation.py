"""Validation before any write: exact messages, every bad reading named by index and field."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from homestack_ingest.testing import KEY, Service, answer

NOW = datetime.now(UTC).replace(microsecond=0)


def good(n: int = 0, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sensor_id": f"room-{n}",
        "ts": (NOW - timedelta(minutes=n)).isoformat(),
        "values": {"temperature": 20.5, "humidity": 45},
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"sensor_id": "Room 1"}, "sensor_id", "String should match pattern '^[a-z0-9][a-z0-9_-]{0,62}$'"),
        (
            {"ts": "2026-11-26T10:00:00"},
            "ts",
            "timestamp must include a timezone (e.g. 2026-11-26T10:00:00Z)",
        ),
        ({"ts": "soon"}, "ts", "timestamp must be ISO 8601 with a zone or epoch seconds"),
        (
            {"ts": (NOW - timedelta(days=31)).timestamp()},
            "ts",
            "timestamp is older than the retention of 30 days",
        ),
        ({"values": {}}, "values", "Dictionary should have at least 1 item after validation, not 0"),
        (
            {"values": {"radiation": 1.0}},
            "values.radiation",
            "Input should be 'temperature', 'humidity', 'co2', 'pressure', 'pm25', 'voc', "
            "'illuminance' or 'battery'",
        ),
        (
            {"values": {"temperature": "warm"}},
            "values.temperature",
            "Input should be a valid number, unable to parse string as a number",
        ),
        ({"values": {"humidity": 140}}, "values.humidity", "humidity must be between 0 and 100 %"),
        (
            {"units": {"temperature": "F"}},
            "units.temperature",
            "unit 'F' is not valid for temperature; use 'C'",
        ),
        ({"colour": "red"}, "colour", "Extra inputs are not permitted"),
        ({"units": [None, None]}, "units", "Input should be a valid dictionary"),
        ({"values": [1.0]}, "values", "Input should be a valid dictionary"),
        ({"name": ""}, "name", "String should have at least 1 character"),
    ],
)
def test_a_bad_field_is_named_with_an_exact_message(
    service: Service, overrides: dict[str, Any], field: str, message: str
) -> None:
    response = service.post({"readings": [good(0), good(1), good(2, **overrides)]})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["details"] == [{"field": f"readings[2].{field}", "message": message}]
    assert error["message"].startswith("invalid readings: 1 of 3 rejected, nothing was stored; first: ")
    assert service.stored() == []


@pytest.mark.parametrize(("literal", "shown"), [("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "-inf")])
def test_non_finite_numbers_are_rejected_even_though_python_json_parses_them(
    service: Service, literal: str, shown: str
) -> None:
    body = f'{{"sensor_id": "a", "ts": {NOW.timestamp()}, "values": {{"temperature": {literal}}}}}'
    response = service.http.post("/readings", content=body, headers={"X-API-Key": KEY})
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "values.temperature", "message": f"temperature must be a finite number (got {shown})"}
    ]
    assert service.stored() == []


def test_a_timestamp_too_far_ahead_says_how_far_and_what_is_allowed(service: Service) -> None:
    ahead = datetime.now(UTC) + timedelta(hours=1)
    [detail] = service.post(good(0, ts=ahead.isoformat())).json()["error"]["details"]
    assert detail["field"] == "ts"
    assert re.fullmatch(
        r"timestamp is 3\d{3} s in the future; at most 300 s ahead of the server clock is accepted",
        detail["message"],
    )
    assert (
        service.post(good(0, ts=(datetime.now(UTC) + timedelta(seconds=200)).isoformat())).status_code == 200
    )


def test_every_bad_reading_is_reported_and_none_of_the_good_ones_stored(service: Service) -> None:
    batch = [good(0), good(1, values={"humidity": -1}), good(2), good(3, sensor_id="", ts="x")]
    details = service.post({"readings": batch}).json()["error"]["details"]
    assert [d["field"] for d in details] == [
        "readings[1].values.humidity",
        "readings[3].sensor_id",
        "readings[3].ts",
    ]
    assert service.stored() == []


def test_a_single_reading_is_named_without_an_index(service: Service) -> None:
    details = service.post(good(0, values={"battery": 101})).json()["error"]["details"]
    assert details == [{"field": "values.battery", "message": "battery must be between 0 and 100 %"}]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (b"", "body", "invalid JSON: Expecting value"),
        (b"{not json", "body", "invalid JSON: Expecting property name enclosed in double quotes"),
        (b'{"a": "\xc3\x28"}', "body", "invalid JSON: body is not UTF-8"),
        (b"[" * 100_000, "body", "invalid JSON: nested too deeply"),
        (b"[1, 2]", "body", 'send one reading object or {"readings": [...]}'),
        (b'{"readings": []}', "readings", "must be a non-empty list of readings"),
        (b'{"readings": {}}', "readings", "must be a non-empty list of readings"),
        (b'{"readings": [], "extra": 1}', "extra", "Extra inputs are not permitted"),
        (b'{"readings": [7]}', "readings[0]", "Input should be a valid dictionary or instance of Reading"),
    ],
)
def test_malformed_bodies_get_422_naming_the_problem(
    service: Service, body: bytes, field: str, message: str
) -> None:
    response = service.http.post("/readings", content=body, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 422
    [detail] = response.json()["error"]["details"]
    assert detail["field"] == field
    assert detail["message"].startswith(message)


def test_500_readings_are_accepted_and_501_are_refused_naming_the_limit(service: Service) -> None:
    batch = [good(n % 50, ts=(NOW - timedelta(seconds=n)).isoformat()) for n in range(501)]
    refused = service.post({"readings": batch})
    assert refused.status_code == 413
    assert refused.json()["error"]["message"] == (
        "batch too large: 501 readings; the limit is 500 readings per request"
    )
    assert service.stored() == []
    accepted = service.post({"readings": batch[:500]})
    assert accepted.status_code == 200
    assert accepted.json() == answer(500, stored=500, duplicates=0)
    assert len(service.stored()) == 500


def test_a_body_over_the_size_limit_is_refused_with_413_naming_it(service: Service) -> None:
    padding = " " * 1_100_000
    body = b'{"readings": [' + padding.encode() + b"]}"
    response = service.http.post("/readings", content=body, headers={"X-API-Key": KEY})
    assert response.status_code == 413
    assert response.json()["error"]["message"] == (
        "request body too large: the limit is 1048576 bytes; hint: send smaller batches"
    )


def test_a_streamed_body_without_length_is_cut_off_at_the_limit(service: Service) -> None:
    def chunks() -> Any:
        for _ in range(200):
            yield b" " * 10_000

    response = service.http.post("/readings", content=chunks(), headers={"X-API-Key": KEY})
    assert response.status_code == 413


HUGE = "9" * 5000  # more digits than Python turns into an int


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        (
            '"ts": "9999-12-31T23:59:59-23:59"',
            "ts",
            "timestamp out of range: in UTC it falls outside the years 1 to 9999",
        ),
        (
            '"ts": "0001-01-01T00:00:00+23:59"',
            "ts",
            "timestamp out of range: in UTC it falls outside the years 1 to 9999",
        ),
        ('"ts": ' + "9" * 400, "ts", "epoch seconds out of range"),
        ('"ts": ' + HUGE, "ts", "epoch seconds out of range"),
        ('"ts": 1e400', "ts", "epoch seconds out of range"),
        (
            '"values": {"temperature": ' + HUGE + "}",
            "values.temperature",
            "temperature must be a finite number",
        ),
        ('"values": {"co2": -' + HUGE + ".5}", "values.co2", "co2 must be a finite number"),
        ('"values": {"humidity": 1e-200}', "values.humidity", "humidity 1e-200 cannot be stored: DynamoDB"),
        ('"sensor_id": ' + HUGE, "sensor_id", "Input should be a valid string"),
        ('"name": ' + HUGE, "name", "Input should be a valid string"),
        ('"units": {"co2": ' + HUGE + "}", "units.co2", "Input should be a valid string"),
        ('"extra": ' + HUGE, "extra", "Extra inputs are not permitted"),
    ],
)
def test_extreme_numbers_and_timestamps_are_a_422_naming_the_field(
    service: Service, override: str, field: str, message: str
) -> None:
    base = json.dumps(good(0))
    body = '{"readings": [' + base + ", " + base[:-1] + ", " + override + "}]}"
    response = service.http.post("/readings", content=body, headers={"X-API-Key": KEY})
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["field"] == f"readings[1].{field}"
    assert detail["message"].startswith(message)
    assert service.stored() == []


def test_an_epoch_number_keeps_every_digit_it_is_written_with(service: Service) -> None:
    # 100 ns before a millisecond: read as a float, it would round up into the next millisecond.
    second = int(NOW.timestamp()) - 3600
    iso = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S") + ".999999900Z"
    reading = '{"sensor_id": "exact", "ts": %s, "values": {"co2": 500}}'
    first = service.http.post("/readings", content=reading % f'"{iso}"', headers={"X-API-Key": KEY})
    again = service.http.post(
        "/readings", content=reading % f"{second}.999999900", headers={"X-API-Key": KEY}
    )
    assert first.json() == answer(1, stored=1)
    assert again.json() == answer(1, duplicates=1)
    assert service.stored() == [("exact", iso[:-7] + "Z")]
