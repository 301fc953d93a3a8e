"""POST /readings: authenticate, read, validate everything, write, and say exactly what was stored."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, TypeAdapter
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
logger = logging.getLogger("homestack.ingest")


class ReadingBatch(BaseModel):
    """Several readings in one request (documentation of the accepted body)."""

    readings: list[Reading]


class IngestResult(BaseModel):
    """What happened to the request's readings; stored + duplicates + conflicts = received.

    A reading is stored by the first write of its (sensor_id, ts); sent again with the same values it
    is a duplicate; sent with other values it is a conflict: refused, and the stored reading stays."""

    received: int
    stored: int
    duplicates: int
    conflicts: int
    conflicting: list[int] = Field(description="indexes of the readings counted in `conflicts`")


class NotStored(BaseModel):
    """A reading that was not stored; resend it if `retryable` (the write is idempotent)."""

    index: int
    sensor_id: str
    ts: str
    reason: str
    retryable: bool


class PartialWrite(ErrorBody):
    """503 or 500 body: the usual error block, what happened to the rest, and which readings were not
    stored; stored + duplicates + conflicts + len(not_stored) = received."""

    received: int
    stored: int
    duplicates: int
    conflicts: int
    conflicting: list[int]
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
        "is written. The first write of a (sensor_id, ts) is stored; the same reading again is a "
        "duplicate, a different one a conflict (refused: the stored one stays). 503 lists the readings "
        "that were not stored: resend exactly those. 500 lists readings DynamoDB refused for good."
    ),
    response_model=IngestResult,
    dependencies=[Depends(require_api_key)],
    responses={
        **error_responses(401, 413),
        500: {"model": PartialWrite, "description": "some readings were refused by DynamoDB for good"},
        503: {"model": PartialWrite, "description": "some readings were not stored; resend them"},
    },
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": _BODY_SCHEMA}}}
    },
)
async def post_readings(request: Request) -> IngestResult | JSONResponse:
    ingest: Ingest = request.app.state.ingest
    deadline = time.monotonic() + ingest.write_deadline  # the answer is due then, whatever DynamoDB does
    body = await read_body(request, ingest.limits.max_body_bytes)
    readings = parse_readings(body, ingest.limits, datetime.now(UTC))
    result = await run_in_threadpool(ingest.writer.write, readings, deadline)
    if result.failed:
        return _partial(readings, result)
    return IngestResult(
        received=len(readings),
        stored=len(result.stored),
        duplicates=len(result.duplicates),
        conflicts=len(result.conflicts),
        conflicting=list(result.conflicts),
    )


def _partial(readings: list[Reading], result: WriteResult) -> JSONResponse:
    failed = [
        NotStored(index=f.index, sensor_id=f.sensor_id, ts=f.ts, reason=f.reason, retryable=f.retryable)
        for f in result.failed
    ]
    refused = [f for f in failed if not f.retryable]
    if refused:
        # A retry cannot fix these, so no 503: the reading got past validation yet DynamoDB refused it,
        # which is the service's fault, and the log says which.
        logger.error(
            "DynamoDB refused %d readings for good; first: %s at %s: %s",
            len(refused),
            refused[0].sensor_id,
            refused[0].ts,
            refused[0].reason,
        )
        status, code, headers = 500, "internal_error", None
        message = (
            f"{len(failed)} of {len(readings)} readings were not stored: DynamoDB refused {len(refused)} "
            "of them in a way no retry can fix; hint: resend only those of not_stored marked retryable"
        )
    else:
        status, code, headers = 503, "unavailable", {"Retry-After": str(RETRY_AFTER_SECONDS)}
        message = (
            f"{len(failed)} of {len(readings)} readings were not stored: the database did not take them "
            "in time; hint: resend the readings listed in not_stored"
        )
    info = ErrorInfo(
        code=code,
        message=message,
        request_id=current_request_id(),
        details=[ErrorDetail(field=f"readings[{f.index}]", message=f.reason) for f in failed],
    )
    body = PartialWrite(
        error=info,
        received=len(readings),
        stored=len(result.stored),
        duplicates=len(result.duplicates),
        conflicts=len(result.conflicts),
        conflicting=list(result.conflicts),
        not_stored=failed,
    )
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers)
