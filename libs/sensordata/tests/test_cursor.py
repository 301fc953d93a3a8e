"""Cursors round-trip, and anything a caller alters, forges or replays elsewhere is an InvalidCursorError."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homestack_sensordata import CursorCodec, InvalidCursorError

KEY = "0123456789abcdef-test-key"
FIELDS = ("sensor_id", "ts")
POSITION = {"sensor_id": "kitchen-1", "ts": "2026-11-26T10:00:00.000Z"}


def test_a_cursor_round_trips_within_its_scope_and_is_url_safe() -> None:
    codec = CursorCodec(KEY)
    cursor = codec.encode("readings:kitchen-1", POSITION)
    assert set(cursor) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    assert codec.decode("readings:kitchen-1", cursor, FIELDS) == POSITION


def test_a_cursor_for_one_scope_is_rejected_in_another() -> None:
    codec = CursorCodec(KEY)
    cursor = codec.encode("readings:kitchen-1", POSITION)
    with pytest.raises(InvalidCursorError, match="not issued for this query"):
        codec.decode("readings:garage-2", cursor, FIELDS)


def test_a_cursor_signed_with_another_key_is_rejected() -> None:
    cursor = CursorCodec("another-key-of-16-bytes").encode("sensors", {"sensor_id": "a"})
    with pytest.raises(InvalidCursorError):
        CursorCodec(KEY).decode("sensors", cursor, ["sensor_id"])


def test_an_edited_payload_is_rejected_even_when_well_formed() -> None:
    codec = CursorCodec(KEY)
    version, _, mac = codec.encode("sensors", {"sensor_id": "a"}).split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"sensor_id": "z"}).encode()).decode().rstrip("=")
    with pytest.raises(InvalidCursorError):
        codec.decode("sensors", f"{version}.{forged}.{mac}", ["sensor_id"])


def test_a_correctly_signed_cursor_with_the_wrong_fields_is_rejected() -> None:
    codec = CursorCodec(KEY)
    cursor = codec.encode("sensors", {"sensor_id": "a", "extra": "b"})
    with pytest.raises(InvalidCursorError, match="expected key"):
        codec.decode("sensors", cursor, ["sensor_id"])


@pytest.mark.parametrize(
    "cursor",
    ["", "abc", "v1..", "v2.e30.AAAA", "v1.!!!.???", "v1.e30", "x" * 5000, "v1.e30.AAAA.extra"],
)
def test_garbage_is_an_invalid_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        CursorCodec(KEY).decode("sensors", cursor, ["sensor_id"])


@given(st.text(max_size=300))
def test_no_input_escapes_as_anything_but_invalid_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        CursorCodec(KEY).decode("sensors", cursor, ["sensor_id"])


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        CursorCodec("short")
