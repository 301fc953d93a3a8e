"""POST /readings: authenticate, read, validate everything, write, and say exactly what was stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, TypeAdapter
from starlette.concurrency import run_in_threadpool

from homestack_common import ErrorBody, ErrorDetail, error_responses
from homestack_common.context import current_request_id
from homestack_common.errors import ErrorInfo
from homestack_ingest.auth import require_api_key
from homestack_ingest.payload import MAX_BATCH, parse_readings, read_body
from homestack_ingest.runtime import Ingest
from homestack_sensordata import UNITS, Reading, WriteResult
from homestack_sensordata.models import RANGES

RETRY_AFTER_SECONDS = 1


class ReadingBatch(BaseModel):
    """Several readings in one request (documentation of the accepted body)."""

    readings: list[Reading]


class IngestResult(BaseModel):
    """What happened to the request's readings: each is either stored now or was already stored."""

    received: int
    stored: int
    duplicates: int


class NotStored(BaseModel):
    """A reading that was not stored: resend it (the write is idempotent)."""

    index: int
    sensor_id: str
    ts: str
    reason: str


class PartialWrite(ErrorBody):
    """503 body: the usual error block plus exactly which readings were not stored."""

    received: int
    stored: int
    duplicates: int
    not_stored: list[NotStored]


def _documented(components: dict[str, Any]) -> dict[str, Any]:
    """Spell out in the schema what `Reading` checks in code: per-metric ranges and units, ts forms."""
    fields = components["Reading"]["properties"]
    fields["values"] = {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            m.value: {"type": "number", "minimum": low, "maximum": high, "description": UNITS[m]}
            for m, (low, high) in RANGES.items()
        },
    }
    fields["units"] = {
        "anyOf": [
            {
                "type": "object",
                "additionalProperties": False,
                "properties": {m.value: {"const": unit} for m, unit in UNITS.items()},
            },
            {"type": "null"},
        ],
        "description": "optional; each unit must be the metric's canonical one",
    }
    fields["ts"] = {
        "anyOf": [{"type": "string", "format": "date-time"}, {"type": "number", "minimum": 0}],
        "description": "ISO 8601 with a zone, or epoch seconds; at most MAX_FUTURE_SKEW_SECONDS (300) "
        "ahead of the server clock and not older than RETENTION_DAYS (30)",
    }
    fields["name"]["anyOf"][0]["pattern"] = r"\S"
    return components


_BODY_SCHEMA = TypeAdapter(Reading | ReadingBatch).json_schema(ref_template="#/components/schemas/{model}")
# Component schemas the request body refers to; the app adds them to its OpenAPI document.
BODY_COMPONENTS: dict[str, Any] = _documented(_BODY_SCHEMA.pop("$defs", {}))


router = APIRouter(tags=["readings"])


@router.post(
    "/readings",
    summary="Store one reading or a batch",
    description=(
        f'Body: one reading, or `{{"readings": [...]}}` with at most {MAX_BATCH} readings, and at most '
        "MAX_BODY_BYTES bytes (1 MiB by default); larger -> 413. Authenticate with "
        "`Authorization: Bearer <key>` or `X-API-Key: <key>`. Every reading is validated before anything "
        "is written; a resent reading (same sensor_id and ts) is counted as a duplicate, not stored twice. "
        "503 lists the readings that were not stored: resend exactly those."
    ),
    response_model=IngestResult,
    dependencies=[Depends(require_api_key)],
    responses={
        **error_responses(401, 413),
        503: {"model": PartialWrite, "description": "some readings were not stored; resend them"},
    },
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": _BODY_SCHEMA}}}
    },
)
async def post_readings(request: Request) -> IngestResult | JSONResponse:
    ingest: Ingest = request.app.state.ingest
    body = await read_body(request, ingest.limits.max_body_bytes)
    readings = parse_readings(body, ingest.limits, datetime.now(UTC))
    result = await run_in_threadpool(ingest.writer.write, readings)
    if result.failed:
        return _partial(readings, result)
    return IngestResult(received=len(readings), stored=len(result.stored), duplicates=len(result.duplicates))


def _partial(readings: list[Reading], result: WriteResult) -> JSONResponse:
    failed = [
        NotStored(index=f.index, sensor_id=f.sensor_id, ts=f.ts, reason=f.reason) for f in result.failed
    ]
    info = ErrorInfo(
        code="unavailable",
        message=f"{len(failed)} of {len(readings)} readings were not stored: the database refused them "
        "after retries; hint: resend the readings listed in not_stored",
        request_id=current_request_id(),
        details=[ErrorDetail(field=f"readings[{f.index}]", message=f.reason) for f in failed],
    )
    body = PartialWrite(
        error=info,
        received=len(readings),
        stored=len(result.stored),
        duplicates=len(result.duplicates),
        not_stored=failed,
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
