"""Opaque, tamper-checked pagination cursors: a DynamoDB position, signed and bound to one query's scope."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Collection, Mapping

_VERSION = "v1"
_MAC_BYTES = 16  # 128 bits: far beyond guessing, and keeps cursors short enough for a URL
MAX_CURSOR_LENGTH = 2048  # longer than any cursor we issue; bigger input is rejected before decoding
MAX_VALUE_LENGTH = 1024  # DynamoDB keys are at most 2048 (partition) / 1024 (sort) bytes


class InvalidCursorError(ValueError):
    """A cursor that this service did not issue for this query (forged, tampered, truncated or reused)."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursorError("cursor is not valid base64") from exc


class CursorCodec:
    """Encodes a position (key attribute name -> string value) as `v1.<payload>.<mac>` and back.

    The MAC covers the scope (e.g. `readings:kitchen-1`), so a cursor issued for one query is rejected by
    another. Decoding checks the MAC first (constant time), then the exact shape, so what reaches
    DynamoDB as an ExclusiveStartKey is always a key this codec produced.
    """

    def __init__(self, key: bytes | str) -> None:
        raw = key.encode() if isinstance(key, str) else key
        if len(raw) < 16:
            raise ValueError("cursor key must be at least 16 bytes")
        self._key = raw

    def _mac(self, scope: str, payload: str) -> bytes:
        message = f"{_VERSION}\0{scope}\0{payload}".encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, scope: str, position: Mapping[str, str]) -> str:
        """The cursor for `position` (the key of the last item returned) within `scope`."""
        payload = _b64encode(json.dumps(dict(position), separators=(",", ":"), sort_keys=True).encode())
        return f"{_VERSION}.{payload}.{_b64encode(self._mac(scope, payload))}"

    def decode(self, scope: str, cursor: str, fields: Collection[str]) -> dict[str, str]:
        """The position in `cursor`, which must have been issued for `scope` and hold exactly `fields`."""
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise InvalidCursorError("cursor is too long")
        parts = cursor.split(".")
        if len(parts) != 3 or parts[0] != _VERSION:
            raise InvalidCursorError("cursor is malformed")
        _, payload, mac = parts
        if not hmac.compare_digest(_b64decode(mac), self._mac(scope, payload)):
            raise InvalidCursorError("cursor was not issued for this query or has been altered")
        try:
            position = json.loads(_b64decode(payload))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidCursorError("cursor payload is not JSON") from exc
        if not isinstance(position, dict) or set(position) != set(fields):
            raise InvalidCursorError("cursor does not hold the expected key")
        for value in position.values():
            if not isinstance(value, str) or not 0 < len(value) <= MAX_VALUE_LENGTH:
                raise InvalidCursorError("cursor holds an invalid key value")
        return position
