"""The POST /readings body: read under a size limit, parsed, and validated in full before any write."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import Request
from pydantic import ValidationError

from homestack_common import ApiError, ErrorDetail
from homestack_sensordata import Metric, Reading, unit_problem, value_problem

MAX_BATCH = 500
SHAPE_HINT = 'send one reading object or {"readings": [...]}'


@dataclass(frozen=True)
class Limits:
    """What a request may contain beyond what `Reading` itself checks."""

    max_body_bytes: int
    max_future_skew: timedelta
    retention: timedelta
    max_batch: int = MAX_BATCH


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body too large: the limit is {limit} bytes; hint: send smaller batches")


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it exceeds `limit` bytes (never buffered past it)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


# A run of 17 or more number characters: the only place a JSON number can have more digits than a
# float keeps (or more than Python's int() takes). Bodies without one parse at full C speed.
_LONG_NUMBER = re.compile(rb"[-+.0-9eE]{17,}")


def _float(text: str) -> float | Decimal:
    """A JSON fraction: a float when that keeps its value exactly as written, else every digit.

    Up to 15 significant digits, a float's shortest form is the text it came from, so nothing is
    lost; longer numbers stay Decimal, so an epoch timestamp keeps the digits that pick its
    millisecond (a value becomes a float later all the same: sensor values need no more)."""
    return float(text) if len(text) <= 16 else Decimal(text)


def _int(text: str) -> int | Decimal:
    # Python refuses int() of more than 4300 digits (ValueError, a 500): as a Decimal the number
    # reaches validation, which names the field it is in.
    return int(text) if len(text) <= 18 else Decimal(text)


def _path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p != "[key]"]  # a bad metric name is reported at the metric
    return ".".join(parts)


def _message(error: Any) -> str:
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _pinpoint(raw: Any, field: str) -> list[ErrorDetail]:
    """Name the metric behind a `values`/`units` problem (the model reports only the whole field)."""
    entries = raw.get(field) if isinstance(raw, dict) else None
    found: list[ErrorDetail] = []
    if not isinstance(entries, dict):
        return found
    for name, item in entries.items():
        if name not in Metric.__members__:
            continue
        metric = Metric(name)
        if field == "values" and isinstance(item, int | float | Decimal) and not isinstance(item, bool):
            problem = value_problem(metric, float(item))  # a huge Decimal is inf here: not finite
        elif field == "units" and isinstance(item, str):
            problem = unit_problem(metric, item)
        else:
            problem = None
        if problem:
            found.append(ErrorDetail(field=f"{field}.{name}", message=problem))
    return found


def _reading_problems(raw: Any, limits: Limits, now: datetime) -> tuple[Reading | None, list[ErrorDetail]]:
    try:
        reading = Reading.model_validate(raw)
    except ValidationError as exc:
        details: list[ErrorDetail] = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            pinpointed = _pinpoint(raw, str(loc[0])) if loc in {("values",), ("units",)} else []
            details += pinpointed or [ErrorDetail(field=_path(loc), message=_message(error))]
        return None, details
    ahead = (reading.ts - now).total_seconds()
    if ahead > limits.max_future_skew.total_seconds():
        return None, [
            ErrorDetail(
                field="ts",
                message=f"timestamp is {ahead:.0f} s in the future; at most "
                f"{limits.max_future_skew.total_seconds():.0f} s ahead of the server clock is accepted",
            )
        ]
    if reading.ts < now - limits.retention:
        return None, [
            ErrorDetail(
                field="ts", message=f"timestamp is older than the retention of {limits.retention.days} days"
            )
        ]
    return reading, []


def _items(document: Any, limits: Limits) -> tuple[list[Any], str]:
    """The raw readings of the body and the prefix that names them in errors."""
    if not isinstance(document, dict):
        raise ApiError(
            422, f"invalid request: {SHAPE_HINT}", details=[ErrorDetail(field="body", message=SHAPE_HINT)]
        )
    if "readings" not in document:
        return [document], ""
    extra = sorted(set(document) - {"readings"})
    if extra:
        details = [ErrorDetail(field=name, message="Extra inputs are not permitted") for name in extra]
        raise ApiError(422, f"invalid request: {SHAPE_HINT}", details=details)
    items = document["readings"]
    if not isinstance(items, list) or not items:
        detail = ErrorDetail(field="readings", message="must be a non-empty list of readings")
        raise ApiError(422, "invalid request: readings must be a non-empty list", details=[detail])
    if len(items) > limits.max_batch:
        raise ApiError(
            413,
            f"batch too large: {len(items)} readings; the limit is {limits.max_batch} readings per request",
        )
    return items, "readings"


def parse_readings(body: bytes, limits: Limits, now: datetime) -> list[Reading]:
    """Every reading of the body, or ApiError 422 naming each bad one by index and field."""
    try:
        if _LONG_NUMBER.search(body):
            document = json.loads(body, parse_float=_float, parse_int=_int)
        else:  # every number has at most 16 characters: float() and int() keep each one exactly
            document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        reason = {UnicodeDecodeError: "body is not UTF-8", RecursionError: "nested too deeply"}.get(
            type(exc), getattr(exc, "msg", "malformed")
        )
        detail = ErrorDetail(field="body", message=f"invalid JSON: {reason}")
        raise ApiError(422, f"invalid request: body is not valid JSON ({reason})", details=[detail]) from None
    items, prefix = _items(document, limits)
    readings: list[Reading] = []
    details: list[ErrorDetail] = []
    bad = 0
    for index, raw in enumerate(items):
        reading, problems = _reading_problems(raw, limits, now)
        where = f"{prefix}[{index}]" if prefix else ""
        for problem in problems:
            field = f"{where}.{problem.field}" if where and problem.field else where or problem.field
            details.append(ErrorDetail(field=field, message=problem.message))
        if reading is None:
            bad += 1
        else:
            readings.append(reading)
    if details:
        first = f"{details[0].field}: {details[0].message}"
        raise ApiError(
            422,
            f"invalid readings: {bad} of {len(items)} rejected, nothing was stored; first: {first}",
            details=details,
        )
    return readings
