"""boto3 clients for an environment (adaptive retries, timeouts, local endpoint) and error wrapping."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import boto3
import botocore.exceptions
from botocore.config import Config

from expressway.aws import local_state
from expressway.errors import AwsError, CredentialsError, ExpresswayError, NotFoundError
from expressway.registry import Environment

T = TypeVar("T")

# Adaptive mode retries throttling with client-side rate limiting; 10 attempts rides out bursts.
_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    connect_timeout=5,
    read_timeout=60,
    max_pool_connections=32,
)
_NOT_FOUND = {
    "NoSuchEntity",
    "ResourceNotFoundException",
    "ServiceNotFoundException",
    "ClusterNotFoundException",
    "ParameterNotFound",
    "NotFoundException",
    "RepositoryNotFoundException",
    "ImageNotFoundException",
}
_HINTS = {
    "AccessDenied": "the deploying identity lacks this permission; see the README's deployer policy",
    "AccessDeniedException": "the deploying identity lacks this permission; see the README's policy",
    "ThrottlingException": "AWS kept throttling after 10 attempts; wait a minute and run it again",
    "Throttling": "AWS kept throttling after 10 attempts; wait a minute and run it again",
    "ExpiredToken": "the session expired: refresh the credentials (e.g. `aws sso login`)",
    "ExpiredTokenException": "the session expired: refresh the credentials (e.g. `aws sso login`)",
    "UnrecognizedClientException": "the credentials are not valid for this account and region",
    "InvalidClientTokenId": "the credentials are not valid for this account and region",
    "LimitExceededException": "an AWS quota is reached; ask for an increase in Service Quotas",
}

_lock = threading.Lock()
_sessions: dict[tuple[str | None, str], boto3.session.Session] = {}
_clients: dict[tuple[str | None, str, str | None, str, str | None], Any] = {}
calls: Counter[str] = Counter()  # IAM action (`ecs:CreateExpressGatewayService`) -> API calls made


def _count(event_name: str, model: Any = None, **_: Any) -> None:
    """Counts `<prefix>:<Operation>` per API call (not per retry); the prefix is the service's signing
    name, which is also its IAM action prefix (elasticloadbalancing, logs, servicequotas...). A
    module-level hook, looked up when a client is made, so a test can wrap it."""
    # event_name is "before-call.<service id>.<Operation>"; model is the call's OperationModel
    prefix = model.service_model.signing_name if model is not None else event_name.split(".")[1]
    calls[f"{prefix}:{event_name.rsplit('.', 1)[1]}"] += 1


def endpoint_url(env: Environment) -> str | None:
    """Where `env` is served: its endpoint (moved by $EXPRESSWAY_LOCAL_ENDPOINT), or None for AWS."""
    return local_state.endpoint_of(env.endpoint) if env.endpoint else None


def local_keys(env: Environment, identity: str | None = None) -> tuple[str, str]:
    """The running local cloud's key for `identity` (default: $EXPRESSWAY_LOCAL_IDENTITY, else the
    deployer, else the developer when the local cloud defines no deployer)."""
    endpoint = endpoint_url(env)
    assert endpoint is not None, "only an environment with an endpoint has local keys"
    state = local_state.read(endpoint)
    name = identity or os.environ.get(local_state.IDENTITY_VAR)
    if not name:
        name = "deployer" if "deployer" in state.identities else "developer"
    return state.keys(name)


def client(env: Environment, service: str, *, identity: str | None = None) -> Any:
    """A cached client for `service` in `env` (its region, profile and, for the local cloud, its
    endpoint and the session key of `identity`: never a real AWS identity)."""
    endpoint = endpoint_url(env)
    keys = local_keys(env, identity) if endpoint else None
    key = (env.profile, env.region, endpoint, service, keys[0] if keys else None)
    with _lock:
        if key not in _clients:
            session_key = (None if endpoint else env.profile, env.region)
            if session_key not in _sessions:
                _sessions[session_key] = boto3.session.Session(
                    profile_name=session_key[0], region_name=env.region
                )
            extra: dict[str, Any] = {}
            if endpoint and keys:
                extra = {
                    "endpoint_url": endpoint,
                    "aws_access_key_id": keys[0],
                    "aws_secret_access_key": keys[1],
                }
            made = _sessions[session_key].client(service, config=_CONFIG, **extra)  # type: ignore[call-overload]
            made.meta.events.register("before-call.*.*", _count)
            _clients[key] = made
        return _clients[key]


def reset() -> None:
    """Forget cached clients and counts (tests start each AWS mock with fresh clients)."""
    with _lock:
        _clients.clear()
        _sessions.clear()
        calls.clear()


def call_count() -> int:
    """AWS API calls made since the last reset (retries not counted)."""
    return sum(calls.values())


@contextmanager
def wrapped(what: str) -> Iterator[None]:
    """Turn botocore failures inside the block into ExpresswayErrors that say `what` failed."""
    try:
        yield
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", "")).strip() or "no message"
        operation = exc.operation_name
        kind = NotFoundError if code in _NOT_FOUND else AwsError
        raise kind(
            f"{what}: {code}: {message}", operation=operation, code=code, hint=_HINTS.get(code)
        ) from exc
    except botocore.exceptions.NoCredentialsError as exc:
        raise CredentialsError(
            f"{what}: no AWS credentials found",
            hint="set AWS_PROFILE, add `profile` to the environment in services.toml, or `aws configure`",
        ) from exc
    except botocore.exceptions.ProfileNotFound as exc:
        raise CredentialsError(f"{what}: {exc}", hint="check `profile` in services.toml") from exc
    except botocore.exceptions.EndpointConnectionError as exc:
        raise ExpresswayError(
            f"{what}: cannot reach {exc.kwargs.get('endpoint_url', 'AWS')}",
            hint="for the local cloud, start it with `nox -s dev`; otherwise check the network",
        ) from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise ExpresswayError(f"{what}: {exc}") from exc


def run(what: str, fn: Callable[..., T], **kwargs: Any) -> T:
    """Call `fn(**kwargs)` with errors wrapped as `what: Code: message`."""
    with wrapped(what):
        return fn(**kwargs)
