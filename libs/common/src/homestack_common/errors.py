"""JSON error bodies for every error a service returns (404, 405, 422, 500 and its own)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from homestack_common.context import current_request_id

logger = logging.getLogger("homestack.errors")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
    504: "gateway_timeout",
}


class ErrorDetail(BaseModel):
    """One problem with a request: where it is (`field`) and what is wrong with it."""

    field: str
    message: str


class ErrorInfo(BaseModel):
    code: str
    message: str
    request_id: str | None = None
    details: list[ErrorDetail] | None = None


class ErrorBody(BaseModel):
    """The body of every error response: `{"error": {"code", "message", "request_id", "details"}}`."""

    error: ErrorInfo


class ConfigurationError(Exception):
    """A service cannot start with the environment it was given; the message says what to change.

    Raised from a lifespan (or by create_app when settings fail to load), it stops the process with
    that message and hint on one log line instead of a traceback.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message + (f"\nhint: {self.hint}" if self.hint else "")


class ApiError(Exception):
    """Raise from a handler to answer with `status` and a JSON error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: list[ErrorDetail] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _CODES.get(status, "error")
        self.details = details
        self.headers = headers


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build the standard JSON error response, stamped with the current request id."""
    info = ErrorInfo(
        code=code or _CODES.get(status, "error"),
        message=message,
        request_id=current_request_id(),
        details=details,
    )
    body = ErrorBody(error=info).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, headers=headers)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for a route: the given statuses plus 422 and 500, all with ErrorBody."""
    wanted = sorted({*statuses, 422, 500})
    return {status: {"model": ErrorBody, "description": _CODES.get(status, "error")} for status in wanted}


def _field_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def validation_details(errors: Any) -> list[ErrorDetail]:
    """Turn pydantic/FastAPI validation errors into `field: message` pairs, without echoing input."""
    return [ErrorDetail(field=_field_path(tuple(e.get("loc", ()))), message=e["msg"]) for e in errors]


async def _http_exception(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail: object = exc.detail
    message = detail if isinstance(detail, str) else _CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, message, headers=dict(exc.headers) if exc.headers else None)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = validation_details(exc.errors())
    summary = "; ".join(f"{d.field}: {d.message}" for d in details[:3])
    return error_response(422, f"invalid request: {summary}", details=details)


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, code=exc.code, details=exc.details, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error the app returns a JSON ErrorBody (500s are handled by the request middleware)."""
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ApiError, _api_error)
