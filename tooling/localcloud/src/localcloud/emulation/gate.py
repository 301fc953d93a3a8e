"""WSGI middleware in front of the emulator server: no CORS, and the control endpoints for the
holder of the session's control token only.

AWS service endpoints answer no CORS preflight for a web page on another origin (only S3 and API
Gateway can be configured to), while moto's server allows every origin; a page the developer opens
could otherwise drive the emulator from the browser. moto's own `/moto-api/` (reset, state dumps,
turning authentication off) and ours (settings, faults, identities) change or reveal everything, so
with authentication on they need `Authorization: Bearer <control token>` from the state file.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class Gate:
    def __init__(self, app: WsgiApp, control_token: str | None) -> None:
        self.app = app
        self.control_token = control_token

    def _refuse(self, start_response: StartResponse, status: str, message: str) -> list[bytes]:
        body = json.dumps({"error": message}).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _signed(environ: dict[str, Any]) -> bool:
        return bool(environ.get("HTTP_AUTHORIZATION")) or "X-Amz-Signature=" in str(
            environ.get("QUERY_STRING", "")
        )

    @staticmethod
    def _unsigned(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        """AWS's answer to a request without credentials: JSON for the JSON protocols (they name
        their operation in X-Amz-Target), the query protocols' XML otherwise."""
        if environ.get("HTTP_X_AMZ_TARGET"):
            body = json.dumps(
                {"__type": "MissingAuthenticationTokenException", "message": "Missing Authentication Token"}
            )
            kind, status = "application/x-amz-json-1.1", "400 Bad Request"
        else:
            body = (
                "<ErrorResponse><Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code>"
                "<Message>Request is missing Authentication Token</Message></Error></ErrorResponse>"
            )
            kind, status = "text/xml", "403 Forbidden"
        data = body.encode()
        start_response(status, [("Content-Type", kind), ("Content-Length", str(len(data)))])
        return [data]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "")
        if method == "OPTIONS" and environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"):
            return self._refuse(start_response, "403 Forbidden", "cross-origin requests are not allowed")
        if str(environ.get("PATH_INFO", "")).startswith("/moto-api") and self.control_token:
            given = str(environ.get("HTTP_AUTHORIZATION", "")).removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), self.control_token.encode()):
                return self._refuse(
                    start_response,
                    "403 Forbidden",
                    "the control endpoints need the session's control token "
                    "(Authorization: Bearer <control_token> from the local cloud's state file)",
                )

        if (
            not self._signed(environ)
            and self.control_token
            and not str(environ.get("PATH_INFO", "")).startswith("/moto-api")
        ):
            return self._unsigned(environ, start_response)

        def without_cors(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            return start_response(status, kept, exc_info) if exc_info else start_response(status, kept)

        return self.app(environ, without_cors)
