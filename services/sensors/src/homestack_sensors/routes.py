"""The sensors API: the seed's paths and JSON shapes, plus pagination and reading history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import AwareDatetime

from homestack_common import ApiError, ErrorDetail, error_responses
from homestack_sensordata import MAX_PAGE_SIZE, ReadingOut, SensorSnapshot, format_ts
from homestack_sensors.reader import JsonPage, Reader

NEXT_CURSOR_HEADER = "X-Next-Cursor"
DEFAULT_WINDOW = timedelta(hours=24)
_EARLIEST = datetime(1, 1, 1, tzinfo=UTC)

router = APIRouter(tags=["sensors"])

SensorId = Annotated[str, Path(min_length=1, max_length=256, description="The sensor's id")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")]
Cursor = Annotated[
    str | None,
    Query(min_length=1, description=f"Opaque cursor from the previous page's {NEXT_CURSOR_HEADER} header"),
]
_NEXT_HEADER_DOC = {
    NEXT_CURSOR_HEADER: {
        "description": "Cursor for the next page; absent on the last page",
        "schema": {"type": "string"},
    }
}


def _reader(request: Request) -> Reader:
    reader: Reader = request.app.state.reader
    return reader


def _json(body: bytes, next_cursor: str | None = None) -> Response:
    headers = {NEXT_CURSOR_HEADER: next_cursor} if next_cursor else None
    return Response(body, media_type="application/json", headers=headers)


@router.get(
    "/sensors",
    summary="List every sensor's latest snapshot, page by page",
    response_model=list[SensorSnapshot],
    responses={200: {"headers": _NEXT_HEADER_DOC}, **error_responses(400, 503)},
)
async def list_sensors(request: Request, limit: Limit = 100, cursor: Cursor = None) -> Response:
    page: JsonPage = await _reader(request).sensors_page(limit, cursor)
    return _json(page.body, page.next_cursor)


@router.get(
    "/sensors/{sensor_id}",
    summary="One sensor's latest snapshot",
    response_model=SensorSnapshot,
    responses=error_responses(404, 503),
)
async def get_sensor(request: Request, sensor_id: SensorId) -> Response:
    body = await _reader(request).sensor_json(sensor_id)
    if body is None:
        raise ApiError(404, f"sensor not found: no sensor has the id {sensor_id!r}")
    return _json(body)


def _window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """Resolve the defaults (until = now, since = until - 24 h) and check the range can be stored."""
    end = until or datetime.now(UTC)
    try:
        start = since or end - DEFAULT_WINDOW
    except OverflowError:
        start = _EARLIEST
    for field, value in (("query.since", start), ("query.until", end)):
        try:
            format_ts(value)
        except (OverflowError, ValueError) as exc:
            raise _invalid(field, "timestamp is out of range once converted to UTC") from exc
    if start > end:
        raise _invalid("query.since", "since must not be later than until")
    return start, end


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(
        422, f"invalid request: {field}: {message}", details=[ErrorDetail(field=field, message=message)]
    )


@router.get(
    "/sensors/{sensor_id}/readings",
    summary="A sensor's readings between since and until (inclusive), oldest first",
    response_model=list[ReadingOut],
    responses={200: {"headers": _NEXT_HEADER_DOC}, **error_responses(400, 404, 503)},
)
async def list_readings(
    request: Request,
    sensor_id: SensorId,
    since: Annotated[
        AwareDatetime | None, Query(description="Start (ISO 8601 with zone); default until - 24 h")
    ] = None,
    until: Annotated[AwareDatetime | None, Query(description="End (ISO 8601 with zone); default now")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Response:
    start, end = _window(since, until)
    reader = _reader(request)
    if await reader.sensor_json(sensor_id) is None:
        raise ApiError(404, f"sensor not found: no sensor has the id {sensor_id!r}")
    page = await reader.readings_page(sensor_id, start, end, limit, cursor)
    return _json(page.body, page.next_cursor)
