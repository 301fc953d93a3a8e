"""The read store against an in-process DynamoDB: exact pages, nothing dropped, cursors bound to queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from homestack_sensordata import InvalidCursorError, SensorStore, format_ts
from homestack_sensordata.faults import Faults

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def put_sensor(store: SensorStore, sensor_id: str, **extra: object) -> None:
    item: dict[str, object] = {
        "sensor_id": {"S": sensor_id},
        "ts": {"S": format_ts(T0)},
        "values": {"M": {"temperature": {"N": "21.5"}, "co2": {"N": "600"}}},
        "units": {"M": {"temperature": {"S": "C"}, "co2": {"S": "ppm"}}},
    }
    item.update(extra)
    store.client.put_item(TableName=store.sensors_table, Item=item)  # type: ignore[arg-type]


def put_readings(store: SensorStore, sensor_id: str, count: int, step: timedelta) -> list[str]:
    stamps = [format_ts(T0 + i * step) for i in range(count)]
    for i, ts in enumerate(stamps):
        store.client.put_item(
            TableName=store.readings_table,
            Item={
                "sensor_id": {"S": sensor_id},
                "ts": {"S": ts},
                "values": {"M": {"temperature": {"N": str(20 + i / 10)}}},
                "expires_at": {"N": "1900000000"},
            },
        )
    return stamps


def test_get_sensor_returns_the_snapshot_with_plain_numbers(store: SensorStore) -> None:
    put_sensor(store, "kitchen-1", name={"S": "Kitchen"})
    snapshot = store.get_sensor("kitchen-1")
    assert snapshot is not None
    assert snapshot.name == "Kitchen"
    assert snapshot.ts == T0
    assert snapshot.values == {"temperature": 21.5, "co2": 600.0}
    assert type(snapshot.values["co2"]) is float
    assert snapshot.units == {"temperature": "C", "co2": "ppm"}


def test_get_unknown_sensor_is_none(store: SensorStore) -> None:
    assert store.get_sensor("nope") is None


def test_listing_250_sensors_returns_every_one_across_exact_pages(store: SensorStore) -> None:
    for i in range(250):
        put_sensor(store, f"s-{i:03d}")
    seen: list[str] = []
    sizes: list[int] = []
    cursor: str | None = None
    while True:
        page = store.list_sensors(limit=100, cursor=cursor)
        sizes.append(len(page.items))
        seen.extend(s.sensor_id for s in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sizes == [100, 100, 50]
    assert sorted(seen) == [f"s-{i:03d}" for i in range(250)]


def test_a_page_that_ends_exactly_at_the_last_sensor_has_no_cursor(store: SensorStore) -> None:
    for i in range(10):
        put_sensor(store, f"s-{i}")
    page = store.list_sensors(limit=10)
    assert len(page.items) == 10
    assert page.next_cursor is None


def test_seed_items_without_units_and_flat_items_are_both_listed(store: SensorStore) -> None:
    store.client.put_item(
        TableName=store.sensors_table,
        Item={"sensor_id": {"S": "seed-1"}, "ts": {"S": "2026-11-26T09:00:00+00:00"}, "values": {"M": {}}},
    )
    store.client.put_item(TableName=store.sensors_table, Item={"sensor_id": {"S": "bare"}})
    page = store.list_sensors()
    assert sorted((s.sensor_id, s.ts, s.units) for s in page.items) == [
        ("bare", None, {}),  # a flat item with no metric at all is still a sensor the table holds
        ("seed-1", datetime(2026, 11, 26, 9, tzinfo=UTC), {}),
    ]
    assert page.next_cursor is None


@pytest.mark.parametrize("limit", [0, -1, 1001])
def test_limits_outside_1_to_1000_are_refused(store: SensorStore, limit: int) -> None:
    with pytest.raises(ValueError, match="limit must be between 1 and 1000"):
        store.list_sensors(limit=limit)
    with pytest.raises(ValueError, match="limit must be between 1 and 1000"):
        store.query_readings("a", T0, T0, limit=limit)


def test_readings_come_oldest_first_within_an_inclusive_range(store: SensorStore) -> None:
    stamps = put_readings(store, "kitchen-1", 10, timedelta(minutes=1))
    put_readings(store, "garage-2", 10, timedelta(minutes=1))
    page = store.query_readings("kitchen-1", T0 + timedelta(minutes=2), T0 + timedelta(minutes=5))
    assert [format_ts(r.ts) for r in page.items] == stamps[2:6]
    assert {r.sensor_id for r in page.items} == {"kitchen-1"}
    assert page.items[0].values == {"temperature": 20.2}
    assert page.next_cursor is None


def test_readings_page_through_the_whole_range(store: SensorStore) -> None:
    stamps = put_readings(store, "kitchen-1", 25, timedelta(seconds=30))
    got: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = store.query_readings("kitchen-1", T0, T0 + timedelta(hours=1), limit=10, cursor=cursor)
        got.extend(format_ts(r.ts) for r in page.items)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert got == stamps


def test_a_cursor_keeps_working_when_the_window_moves(store: SensorStore) -> None:
    stamps = put_readings(store, "kitchen-1", 6, timedelta(minutes=1))
    first = store.query_readings("kitchen-1", T0, T0 + timedelta(hours=1), limit=2)
    assert first.next_cursor
    moved = store.query_readings(
        "kitchen-1", T0 + timedelta(minutes=4), T0 + timedelta(hours=2), cursor=first.next_cursor
    )
    assert [format_ts(r.ts) for r in moved.items] == stamps[4:]
    later = store.query_readings("kitchen-1", T0, T0 + timedelta(minutes=3), cursor=first.next_cursor)
    assert [format_ts(r.ts) for r in later.items] == stamps[2:4]


def test_a_readings_cursor_cannot_be_replayed_for_another_sensor_or_the_list(store: SensorStore) -> None:
    put_readings(store, "kitchen-1", 5, timedelta(minutes=1))
    cursor = store.query_readings("kitchen-1", T0, T0 + timedelta(hours=1), limit=2).next_cursor
    assert cursor
    with pytest.raises(InvalidCursorError):
        store.query_readings("garage-2", T0, T0 + timedelta(hours=1), cursor=cursor)
    with pytest.raises(InvalidCursorError):
        store.list_sensors(cursor=cursor)
    with pytest.raises(InvalidCursorError):
        store.list_sensors(cursor=cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"))


def test_an_empty_or_inverted_range_is_an_empty_page(store: SensorStore) -> None:
    put_readings(store, "kitchen-1", 3, timedelta(minutes=1))
    assert store.query_readings("kitchen-1", T0 + timedelta(hours=1), T0).items == []
    assert store.query_readings("nobody", T0, T0 + timedelta(hours=1)).items == []


def test_get_sensors_answers_many_at_once_with_none_for_unknown_ones(store: SensorStore) -> None:
    for i in range(150):
        put_sensor(store, f"s-{i:03d}")
    wanted = [f"s-{i:03d}" for i in range(0, 150, 1)] + ["nope-1", "s-007", "nope-2"]
    faults = Faults(store.client)
    found = store.get_sensors(wanted)
    assert set(found) == {f"s-{i:03d}" for i in range(150)} | {"nope-1", "nope-2"}
    assert found["nope-1"] is None
    assert found["nope-2"] is None
    snapshot = found["s-149"]
    assert snapshot is not None
    assert snapshot.values == {"temperature": 21.5, "co2": 600.0}
    assert faults.calls["BatchGetItem"] == 2  # 152 distinct keys: 100 + 52


def test_get_sensors_asks_again_for_keys_dynamodb_left_unprocessed(store: SensorStore) -> None:
    for i in range(8):
        put_sensor(store, f"s-{i}")
    faults = Faults(store.client)
    faults.leave_keys_unprocessed(2)  # 8 keys: 4 answered, then 2 of the other 4, then the last 2
    found = store.get_sensors([f"s-{i}" for i in range(8)] + ["unknown"])
    assert faults.calls["BatchGetItem"] == 3
    assert sorted(k for k, v in found.items() if v is not None) == [f"s-{i}" for i in range(8)]
    assert found["unknown"] is None


def test_get_sensors_leaves_out_keys_that_stay_unprocessed(store: SensorStore) -> None:
    for i in range(4):
        put_sensor(store, f"s-{i}")
    faults = Faults(store.client)
    faults.leave_keys_unprocessed(100)
    found = store.get_sensors([f"s-{i}" for i in range(4)])
    assert faults.calls["BatchGetItem"] == 5  # bounded: then it gives up on the rest
    assert "s-3" not in found  # not answered: neither a snapshot nor "unknown"
    assert found["s-0"] is not None
