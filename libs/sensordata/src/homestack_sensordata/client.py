"""The one way homestack builds a DynamoDB client: adaptive retries, timeouts, a pool sized for threads."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# A service calls boto3 from a threadpool (anyio's default holds 40 threads); one pooled HTTP connection
# per thread means no request waits for a connection while another thread holds one.
DEFAULT_MAX_POOL_CONNECTIONS = 64
DEFAULT_CONNECT_TIMEOUT = 2.0
DEFAULT_READ_TIMEOUT = 5.0
DEFAULT_MAX_ATTEMPTS = 5  # in total, the first call included


def _region_from_env() -> str | None:
    # botocore reads AWS_DEFAULT_REGION only; ECS and most tools set AWS_REGION, so honour both.
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


class RegionNotSetError(ValueError):
    """No AWS region was given and none is in the environment (ECS always sets AWS_REGION)."""


def dynamodb_client(
    region: str | None = None,
    endpoint_url: str | None = None,
    *,
    max_pool_connections: int = DEFAULT_MAX_POOL_CONNECTIONS,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    retry_mode: Literal["standard", "adaptive"] = "adaptive",
    validate_parameters: bool = True,
) -> DynamoDBClient:
    """A thread-safe DynamoDB client; build one per process and share it.

    `region` falls back to AWS_REGION, then AWS_DEFAULT_REGION. `endpoint_url` falls back to what botocore
    itself honours: AWS_ENDPOINT_URL_DYNAMODB, then AWS_ENDPOINT_URL (how the local cloud redirects it).
    Raises RegionNotSetError when neither gives a region. Adaptive retries back off on throttling and
    rate-limit the client instead of hammering the table. A caller that retries by itself against a
    deadline (the reading writer) asks for `max_attempts=1, retry_mode="standard"`: no call is repeated,
    and no client-side rate limiter sleeps, behind its back. `validate_parameters=False` skips botocore's
    client-side check of every request against the API model (DynamoDB checks them all the same): for
    code whose requests are typed and tested, on a hot path where the check costs a fifth of the CPU.
    """
    config = Config(
        retries={"mode": retry_mode, "total_max_attempts": max_attempts},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_pool_connections=max_pool_connections,
        tcp_keepalive=True,
        parameter_validation=validate_parameters,
    )
    region_name = region or _region_from_env()
    if not region_name:
        raise RegionNotSetError("no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION)")
    # A private Session: boto3's default session is not safe to share between threads while it builds.
    session = boto3.session.Session()
    return session.client(
        "dynamodb",
        region_name=region_name,
        endpoint_url=endpoint_url or None,
        config=config,
    )
