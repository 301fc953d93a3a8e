"""`python -m localcloud.server --port N`: every moto service plus Express Mode, on loopback.

Prints one line, `expressway emulator listening on http://HOST:PORT`, to stderr once it accepts
connections (so a supervisor can start it with --port 0 and read the port back).

Every request must be signed with a key of this session (AWS's error codes otherwise) and is
evaluated against the caller's IAM policies; `--no-auth` accepts any key, as moto does. The
session's keys (a `developer` and a `runtime` identity, both allowed everything, and whatever the
local cloud adds) and the control token of `/moto-api/` are written to a state file only its owner
can read (`--state-file`, default: the one expressway looks for, expressway.aws.local_state).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import signal
import sys
from pathlib import Path
from types import FrameType

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from expressway.aws import local_state

from .emulation import configure, control, identities, install
from .emulation.gate import Gate


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m localcloud.server",
        description="Serve moto 5.2.5 plus the ECS Express Mode emulation on loopback.",
    )
    parser.add_argument("--port", type=int, required=True, help="TCP port (0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument(
        "--local-port",
        type=int,
        help="local mode: endpoints become <service>.<local-domain>:<local-port>",
    )
    parser.add_argument("--local-domain", default="localhost", help="domain for local mode")
    parser.add_argument(
        "--local-strip-prefix",
        default="",
        help="local mode: a service-name prefix left out of host names (e.g. homestack-local-)",
    )
    parser.add_argument("--provisioning-seconds", type=float, default=0.0)
    parser.add_argument("--deployment-seconds", type=float, default=0.0)
    parser.add_argument("--draining-seconds", type=float, default=0.0)
    parser.add_argument("--settle-reads", type=int, default=1)
    parser.add_argument("--tasks", choices=("emulated", "agent"), default="emulated",
                        help="who runs tasks: the emulator (healthy at once) or a local agent")  # fmt: skip
    parser.add_argument("--state-file", type=Path, help="where to write the session's keys and token")
    parser.add_argument("--no-auth", action="store_true", help="accept any credentials (moto's default)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not _loopback(args.host):
        sys.stderr.write(
            f"cannot serve on {args.host}: the emulator only binds loopback addresses\n"
            "hint: use --host 127.0.0.1 (or ::1)\n"
        )
        return 1
    # moto builds ~2,600 default AMIs per region on every reset; Express Mode needs none of them
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    # Every AWS account holds the AWS managed policies (a deploy attaches
    # AmazonECSInfrastructureRoleforExpressGatewayServices); moto loads them only when asked.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    install()
    try:
        configure(
            baseline=True,
            local_port=args.local_port,
            local_domain=args.local_domain,
            local_strip_prefix=args.local_strip_prefix,
            provisioning_seconds=args.provisioning_seconds,
            deployment_seconds=args.deployment_seconds,
            draining_seconds=args.draining_seconds,
            settle_reads=args.settle_reads,
            tasks=args.tasks,
        )
    except ValueError as error:
        sys.stderr.write(f"invalid emulator settings: {error}\n")
        return 1
    token = secrets.token_urlsafe(32)
    if not args.no_auth:
        from moto import settings

        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0  # every request authenticated, from the first on
    try:
        app = Gate(DomainDispatcherApplication(create_backend_app), None if args.no_auth else token)
        server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    except OSError as error:
        sys.stderr.write(f"cannot listen on {args.host}:{args.port}: {error.strerror}\n")
        return 1

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    host, port = str(args.host), server.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    endpoint = f"http://{shown}:{port}"
    state_file = args.state_file or local_state.state_path(endpoint)
    try:
        _publish(state_file, endpoint, token)
    except Exception as error:  # an unwritable or shared state folder: no keys, no service
        sys.stderr.write(f"cannot write the session state {state_file}: {error}\n")
        server.server_close()
        return 1
    try:
        sys.stderr.write(f"expressway emulator listening on {endpoint}\n")
        sys.stderr.flush()
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        local_state.remove(state_file, os.getpid())
    return 0


def _publish(path: Path, endpoint: str, token: str) -> None:
    """Make the session's identities and keep the state file in step with them."""
    for name in ("developer", "runtime"):
        identities.define(name, identities.ADMIN)

    def write() -> None:
        known = {name: identity.to_json() for name, identity in identities.known().items()}
        local_state.write(path, local_state.LocalState(endpoint, os.getpid(), token, known))

    write()
    control.identities_changed.append(write)


if __name__ == "__main__":
    raise SystemExit(main())
