"""Who may call the emulated AWS: every request signed (SigV4) by a known key, and every action it
needs allowed by the caller's IAM policies, answered with AWS's own error codes otherwise.

It replaces moto's `_authenticate_and_authorize_normal_action` and, like it, acts only once moto's
INITIAL_NO_AUTH_ACTION_COUNT is reached (0 in the local cloud's server; infinite, i.e. off, by
default). moto's own lookup finds the key (an IAM user's, or an assumed role's) and checks the
signature; the evaluation is iam_policy's, over every action iam_context derives from the call.
Every decision is counted per principal and action (`GET /moto-api/expressway/iam`).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter, deque
from typing import Any
from urllib.parse import urlparse
from xml.sax.saxutils import escape

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import AuthFailureError, InvalidClientTokenIdError, SignatureDoesNotMatchError
from moto.core.utils import get_service_model
from moto.iam.access_control import IAMPolicy, IAMRequest
from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition
from werkzeug.exceptions import HTTPException

from . import iam_context, identities
from .iam_policy import Request, evaluate, trust_allows

# (code, HTTP status) per failure and protocol family; the messages are AWS's ("Common Errors" of
# each API reference; the JSON protocols answer 400, the query protocols 403).
_CODES = {
    "missing": {
        "json": ("MissingAuthenticationTokenException", 400),
        "query": ("MissingAuthenticationToken", 403),
    },
    "unknown": {"json": ("UnrecognizedClientException", 400), "query": ("InvalidClientTokenId", 403)},
    "signature": {"json": ("InvalidSignatureException", 400), "query": ("SignatureDoesNotMatch", 403)},
    "denied": {"json": ("AccessDeniedException", 400), "query": ("AccessDenied", 403)},
}
_EC2 = {"missing": "MissingAuthenticationToken", "unknown": "AuthFailure", "signature": "AuthFailure",
        "denied": "UnauthorizedOperation"}  # fmt: skip
MESSAGES = {
    "missing": "Missing Authentication Token",
    "unknown": "The security token included in the request is invalid.",
    "signature": "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
}


class AuthError(HTTPException):
    """An authentication or authorization failure, in the protocol the client speaks."""

    def __init__(self, protocol: str, kind: str, message: str) -> None:
        super().__init__()
        request_id = str(uuid.uuid4())
        if protocol == "ec2":
            code, self.code = _EC2[kind], 401 if kind in ("unknown", "signature") else 403
            self.description = (
                f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{code}</Code>"
                f"<Message>{escape(message)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
            )
        elif protocol == "query":
            code, self.code = _CODES[kind]["query"]
            self.description = (
                "<ErrorResponse><Error><Type>Sender</Type>"
                f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>"
            )
        else:
            code, self.code = _CODES[kind]["json"]
            self.description = json.dumps({"__type": code, "message": message})
        self.error_code = code


class Decisions:
    """How often each principal was allowed or denied each action, and the last denials."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str, str]] = Counter()
        self._denials: deque[dict[str, str]] = deque(maxlen=100)

    def add(self, principal: str, request: Request, decision: str) -> None:
        with self._lock:
            self._counts[(principal, request.action, decision)] += 1
            if decision != "allow":
                self._denials.append({"principal": principal, "action": request.action,
                                      "resource": request.resource, "decision": decision})  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            counts = [
                {"principal": p, "action": a, "decision": d, "count": n}
                for (p, a, d), n in sorted(self._counts.items())
            ]
            return {"decisions": counts, "denials": list(self._denials)}

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._denials.clear()


decisions = Decisions()


def _protocol(response: Any) -> str:
    try:
        protocol = str(get_service_model(response.boto3_service_name).protocol)
    except Exception:  # a service botocore does not model
        return "json"
    return {"query": "query", "ec2": "ec2", "rest-xml": "query"}.get(protocol, "json")


def _scope(authorization: str) -> list[str]:
    """[key id, date, region, service, "aws4_request"] of a SigV4 Authorization header."""
    return authorization.partition("Credential=")[2].partition(",")[0].split("/")


def _params(response: Any, protocol: str) -> dict[str, Any]:
    if protocol == "json":
        raw = response.raw_body if response.raw_body is not None else response.body
        try:
            parsed = json.loads(raw or "{}") if isinstance(raw, str | bytes) else raw
        except (TypeError, ValueError):
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {key: values[0] for key, values in response.querystring.items() if values}


def authenticate_and_authorize(self: Any, _resource: str = "*") -> None:
    """moto's hook, called before every action (see the module docstring)."""
    if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
        ActionAuthenticatorMixin.request_count += 1
        return
    protocol = _protocol(self)
    authorization = str(self.headers.get("Authorization") or "")
    scope = _scope(authorization)
    if not authorization.startswith("AWS4-HMAC-SHA256") or len(scope) != 5:
        raise AuthError(protocol, "missing", MESSAGES["missing"])
    identities.ensure()
    query = urlparse(self.uri).query
    path = self.raw_path + (f"?{query}" if query else "")
    try:
        signed = IAMRequest(
            account_id=self.current_account, method=self.method, path=path, data=self.data,
            body=self.raw_body, headers=self.headers, action=self._get_action(),
        )  # fmt: skip
        signed.check_signature()
    except (InvalidClientTokenIdError, AuthFailureError):
        raise AuthError(protocol, "unknown", MESSAGES["unknown"]) from None
    except SignatureDoesNotMatchError:
        raise AuthError(protocol, "signature", MESSAGES["signature"]) from None
    operation = self._get_action()
    if operation == "GetCallerIdentity":
        return  # allowed to any valid credentials (AWS STS API reference)
    key = signed._access_key
    region, prefix = scope[2], iam_context.PREFIXES.get(scope[3], scope[3])
    partition = get_partition(region)
    documents = [IAMPolicy(policy)._policy_json for policy in key.collect_policies()]
    iam = iam_backends[self.current_account][partition]

    def role_arn(name: str) -> str:
        role = next((r for r in iam.roles.values() if r.name == name), None)
        return (
            str(role.arn) if role is not None else f"arn:{partition}:iam::{self.current_account}:role/{name}"
        )

    call = iam_context.Call(
        prefix, operation, _params(self, protocol), partition, region, self.current_account, role_arn
    )
    for request in iam_context.requests(call):
        decision = evaluate(documents, request)
        if decision == "allow" and request.action == "sts:AssumeRole":
            decision = "allow" if _trusted(iam, key.arn, request) else "implicit_deny"
        decisions.add(key.arn, request, decision)
        if decision != "allow":
            raise AuthError(protocol, "denied", denial(key.arn, request, decision))


def _trusted(iam: Any, caller: str, request: Request) -> bool:
    role = next((r for r in iam.roles.values() if r.arn == request.resource), None)
    if role is None:
        return False
    return trust_allows(json.loads(role.assume_role_policy_document), {"AWS": caller}, request)


def denial(principal: str, request: Request, decision: str) -> str:
    """AWS's AccessDenied message ("Troubleshoot access denied error messages", IAM User Guide)."""
    why = (
        "with an explicit deny in an identity-based policy"
        if decision == "explicit_deny"
        else f"because no identity-based policy allows the {request.action} action"
    )
    action, resource = request.action, request.resource
    return f"User: {principal} is not authorized to perform: {action} on resource: {resource} {why}"
