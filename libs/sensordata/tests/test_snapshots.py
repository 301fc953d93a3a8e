"""Items of the sensors table as snapshots: homestack's shape and the flat items of a table kept from before
homestack; what cannot be shown is left out and counted in a few warnings; pages read past what they skip."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from homestack_sensordata import MAX_READ_CALLS, SensorSnapshot, SensorStore, UnreadablePageError, format_ts
from homestack_sensordata.faults import Faults
from homestack_sensordata.snapshots import (
    NOT_A_NUMBER,
    NOT_A_TIME,
    OUT_OF_RANGE,
    LeftOut,
    snapshot_from_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def left_out() -> LeftOut:
    return LeftOut(logging.getLogger("test.snapshots"), interval=60.0, clock=Clock())


def test_the_flat_item_of_a_table_from_before_homestack_is_a_snapshot_without_time(left_out: LeftOut) -> None:
    item: dict[str, AttributeValueTypeDef] = {
        "sensor_id": {"S": "kitchen"},
        "temperature": {"N": "21"},
        "humidity": {"S": "40"},
    }
    assert snapshot_from_item(item, left_out) == SensorSnapshot(
        sensor_id="kitchen",
        name=None,
        ts=None,
        values={"temperature": 21.0, "humidity": 40.0},
        units={"temperature": "C", "humidity": "%"},
    )
    assert not left_out.totals


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"N": "-12.5"}, -12.5),
        ({"S": " 21.5 "}, 21.5),
        ({"S": "-3e1"}, -30.0),
        ({"S": ".5"}, 0.5),
        ({"S": "+7."}, 7.0),
    ],
)
def test_numbers_and_numeric_strings_are_values(
    left_out: LeftOut, value: AttributeValueTypeDef, expected: float
) -> None:
    snapshot = snapshot_from_item({"sensor_id": {"S": "s"}, "temperature": value}, left_out)
    assert snapshot is not None
    assert snapshot.values == {"temperature": expected}
    assert snapshot.units == {"temperature": "C"}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"S": "warm"}, NOT_A_NUMBER),
        ({"S": ""}, NOT_A_NUMBER),
        ({"S": "nan"}, NOT_A_NUMBER),
        ({"S": "inf"}, NOT_A_NUMBER),
        ({"S": "1_000"}, NOT_A_NUMBER),
        ({"S": "0x10"}, NOT_A_NUMBER),
        ({"S": "21 C"}, NOT_A_NUMBER),
        ({"BOOL": True}, NOT_A_NUMBER),
        ({"NULL": True}, NOT_A_NUMBER),
        ({"L": [{"N": "21"}]}, NOT_A_NUMBER),
        ({"M": {"value": {"N": "21"}}}, NOT_A_NUMBER),
        ({"NS": ["21"]}, NOT_A_NUMBER),
        ({"N": "151"}, OUT_OF_RANGE),
        ({"S": "-81"}, OUT_OF_RANGE),
        ({"S": "1e400"}, OUT_OF_RANGE),
    ],
)
def test_values_that_are_not_numbers_or_out_of_range_are_left_out_and_counted(
    left_out: LeftOut, value: AttributeValueTypeDef, reason: str
) -> None:
    item: dict[str, AttributeValueTypeDef] = {
        "sensor_id": {"S": "s"},
        "temperature": value,
        "humidity": {"N": "40"},
    }
    snapshot = snapshot_from_item(item, left_out)
    assert snapshot is not None
    assert snapshot.values == {"humidity": 40.0}
    assert dict(left_out.totals) == {reason: 1}


def test_attributes_that_are_not_metrics_are_ignored_without_a_count(left_out: LeftOut) -> None:
    item: dict[str, AttributeValueTypeDef] = {
        "sensor_id": {"S": "hall"},
        "name": {"S": "Hall"},
        "Temperature": {"N": "20"},  # metric names are exact, as homestack writes them
        "location": {"S": "ground floor"},
        "updated": {"N": "1700000000"},
        "ts": {"N": "1700000000"},  # a flat item's own idea of a time is not read
        "co2": {"N": "612"},
    }
    snapshot = snapshot_from_item(item, left_out)
    assert snapshot == SensorSnapshot(
        sensor_id="hall", name="Hall", ts=None, values={"co2": 612.0}, units={"co2": "ppm"}
    )
    assert not left_out.totals


def test_a_homestack_item_keeps_its_time_units_and_name(left_out: LeftOut) -> None:
    item: dict[str, AttributeValueTypeDef] = {
        "sensor_id": {"S": "porch"},
        "name": {"S": "Porch"},
        "ts": {"S": format_ts(T0)},
        "values": {"M": {"temperature": {"N": "4.5"}, "humidity": {"N": "80"}}},
        "units": {"M": {"temperature": {"S": "C"}, "humidity": {"S": "%"}}},
        "temperature": {"N": "30"},  # left behind by the table's old writer: the homestack values win
    }
    assert snapshot_from_item(item, left_out) == SensorSnapshot(
        sensor_id="porch",
        name="Porch",
        ts=T0,
        values={"temperature": 4.5, "humidity": 80.0},
        units={"temperature": "C", "humidity": "%"},
    )


def test_a_homestack_item_shows_what_it_can_and_counts_the_rest(left_out: LeftOut) -> None:
    item: dict[str, AttributeValueTypeDef] = {
        "sensor_id": {"S": "attic"},
        "name": {"N": "7"},
        "ts": {"S": "yesterday"},
        "values": {"M": {"temperature": {"S": "hot"}, "humidity": {"N": "101"}, "co2": {"N": "700"}}},
        "units": {"M": {"co2": {"S": "ppm"}, "humidity": {"N": "1"}}},
    }
    assert snapshot_from_item(item, left_out) == SensorSnapshot(
        sensor_id="attic", name=None, ts=None, values={"co2": 700.0}, units={"co2": "ppm"}
    )
    assert dict(left_out.totals) == {NOT_A_NUMBER: 1, OUT_OF_RANGE: 1, NOT_A_TIME: 1}


def test_a_time_without_a_zone_is_not_a_time(left_out: LeftOut) -> None:
    item: dict[str, AttributeValueTypeDef] = {
        "sensor_id": {"S": "attic"},
        "ts": {"S": "2026-11-26T10:00:00"},
        "values": {"M": {}},
    }
    snapshot = snapshot_from_item(item, left_out)
    assert snapshot is not None
    assert snapshot.ts is None
    assert dict(left_out.totals) == {NOT_A_TIME: 1}


def test_what_is_left_out_is_warned_about_once_then_at_most_once_an_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    left_out = LeftOut(logging.getLogger("test.snapshots"), interval=60.0, clock=clock)
    bad: dict[str, AttributeValueTypeDef] = {"sensor_id": {"S": "cellar"}, "humidity": {"S": "damp"}}
    with caplog.at_level("WARNING", logger="test.snapshots"):
        for _ in range(500):
            snapshot_from_item(bad, left_out)
        clock.now += 59
        snapshot_from_item({"sensor_id": {"S": "loft"}, "co2": {"N": "-1"}}, left_out)
        assert len(caplog.records) == 1
        clock.now += 1
        snapshot_from_item(bad, left_out)
    first, second = (record.getMessage() for record in caplog.records)
    assert first.startswith("stored sensor data left out: 1 could not be shown since the last such warning")
    assert "e.g. cellar.humidity: not a number" in first
    assert second.startswith("stored sensor data left out: 501 could not be shown since the last such")
    assert "e.g. cellar.humidity: not a number" in second
    assert caplog.records[1].__dict__["ignored"] == {NOT_A_NUMBER: 500, OUT_OF_RANGE: 1}
    assert dict(left_out.totals) == {NOT_A_NUMBER: 501, OUT_OF_RANGE: 1}


def _put(store: SensorStore, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        chunk: Any = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        store.client.batch_write_item(RequestItems={table: chunk})


def test_a_table_of_flat_items_is_listed_on_full_pages_with_few_warnings(
    store: SensorStore, caplog: pytest.LogCaptureFixture
) -> None:
    items = [
        {"sensor_id": {"S": f"room-{i:03d}"}, "temperature": {"N": str(i % 40)}, "humidity": {"S": "n/a"}}
        for i in range(120)
    ]
    _put(store, store.sensors_table, items)
    sizes: list[int] = []
    seen: list[str] = []
    cursor: str | None = None
    with caplog.at_level("WARNING", logger="homestack.store"):
        for _ in range(3):
            while True:
                page = store.list_sensors(limit=50, cursor=cursor)
                sizes.append(len(page.items))
                seen.extend(s.sensor_id for s in page.items)
                cursor = page.next_cursor
                if cursor is None:
                    break
    assert sizes == [50, 50, 20] * 3
    assert sorted(set(seen)) == [f"room-{i:03d}" for i in range(120)]
    # Each full page also read the first item of the next one (to know it exists): 122 reads a listing.
    assert store.left_out.totals[NOT_A_NUMBER] == 3 * 122
    assert len(caplog.records) == 1  # that many values left out over three listings: one warning so far


@pytest.fixture
def readings(store: SensorStore) -> Any:
    """Write readings of sensor `s`, each either readable or malformed (values not a map)."""
    stamp = iter(range(10**6))

    def write(kinds: str) -> list[str]:
        written: list[str] = []
        items = []
        for kind in kinds:
            ts = format_ts(datetime.fromtimestamp(T0.timestamp() + next(stamp), UTC))
            values = {"M": {"temperature": {"N": "20"}}} if kind == "ok" else {"S": "garbled"}
            items.append({"sensor_id": {"S": "s"}, "ts": {"S": ts}, "values": values})
            if kind == "ok":
                written.append(ts)
        _put(store, store.readings_table, items)
        return written

    return write


def _all_pages(store: SensorStore, limit: int) -> tuple[list[list[str]], int]:
    faults = Faults(store.client)  # counts the calls
    pages: list[list[str]] = []
    cursor: str | None = None
    while len(pages) < 50:
        page = store.query_readings("s", T0, T0.replace(year=2027), limit=limit, cursor=cursor)
        pages.append([format_ts(r.ts) for r in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages, faults.calls["Query"]
        assert page.items, "an empty page with a next cursor"
    raise AssertionError("the pages never ended")


def test_a_page_reads_past_malformed_items_instead_of_coming_back_empty(
    store: SensorStore, readings: Any
) -> None:
    ok = readings(["ok"] + ["bad"] * 30 + ["ok", "ok"])
    pages, calls = _all_pages(store, limit=1)
    assert pages == [[ok[0]], [ok[1]], [ok[2]]]
    assert calls <= 3 * 4  # skipped items make later calls ask for more, not one more call per item
    assert store.left_out.totals["malformed reading"] == 30


def test_a_long_run_of_malformed_items_costs_a_bounded_number_of_calls_per_page(
    store: SensorStore, readings: Any
) -> None:
    run = 2**MAX_READ_CALLS + 100  # more than one page may read with its calls
    ok = readings(["ok"] + ["bad"] * run + ["ok"])
    pages, calls = _all_pages(store, limit=1)
    assert pages == [[ok[0]], [ok[1]]]  # the first page stopped at the bound, the second went on from there
    assert calls <= 2 * MAX_READ_CALLS


def test_nothing_readable_within_the_bound_is_an_error_not_an_empty_page(
    store: SensorStore, readings: Any
) -> None:
    readings(["bad"] * (2 ** (MAX_READ_CALLS + 1)) + ["ok"])
    faults = Faults(store.client)
    with pytest.raises(UnreadablePageError, match=f"{MAX_READ_CALLS} DynamoDB pages in a row"):
        store.query_readings("s", T0, T0.replace(year=2027), limit=1)
    assert faults.calls["Query"] == MAX_READ_CALLS
