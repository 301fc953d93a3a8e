"""What `expressway dev` takes: its options, the emulated endpoint's address and the ports it needs."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from expressway.aws.session import endpoint_url
from expressway.errors import UsageError
from expressway.registry import Environment


@dataclass(frozen=True)
class DevOptions:
    """What `expressway dev` was asked for."""

    registry: Path
    env: str = "local"
    port: int = 8080  # the router; services answer at http://<service>.localhost:<port>
    simulate: bool = True
    sensors: int = 3
    interval: float = 2.0


def endpoint_of(environment: Environment, env: str) -> tuple[str, int]:
    """(host, port) of the environment's emulated endpoint; it must be an http URL on loopback."""
    if not environment.endpoint:
        raise UsageError(
            f"dev: environment {env!r} has no endpoint: the local cloud serves AWS on one",
            hint=f'add `endpoint = "http://127.0.0.1:4566"` to [environments.{env}] in services.toml',
        )
    url = urlsplit(endpoint_url(environment) or "")
    host = url.hostname or ""
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if url.scheme != "http" or not loopback or url.port is None:
        raise UsageError(
            f"dev: endpoint {endpoint_url(environment)} of environment {env!r} is not http://<loopback>:<port>",
            hint="the local cloud only listens on loopback, e.g. http://127.0.0.1:4566",
        )
    return host, url.port


def check_port(host: str, port: int, what: str, option: str) -> None:
    """A clear error, not a traceback, when something already listens where we want to."""
    with socket.socket() as probe:
        # as the servers do: connections of an earlier run waiting in TIME_WAIT do not count
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise UsageError(
                    f"dev: cannot listen on {host}:{port} for {what}: {error.strerror}"
                ) from None
            raise UsageError(
                f"dev: cannot start {what}: port {port} is in use",
                hint=f"stop whatever listens there (`ss -ltnp 'sport = :{port}'` shows it), or {option}",
            ) from None
