"""The command line: verbs one level deep, at most one positional, every option explained, and the
parsed line turned into that verb's options type (cli/options.py). Every flag is defined here."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from expressway.cli import options as o
from expressway.errors import UsageError
from expressway.plan.arns import PARTITIONS


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is a UsageError: exit 1 like every user error, because
    argparse's own exit 2 would read as "changes pending" to a script running `plan`."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}", hint=f"`{self.prog} --help` lists what is valid")


def _env(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    what = f"(default: {default})" if default else "(default: $EXPRESSWAY_ENV, else the first)"
    parser.add_argument("--env", default=default, help=f"Environment from services.toml {what}.")


def _json(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--json", action="store_true", help=f"Print {what} as JSON on stdout.")


def _images(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="[SERVICE=]URI",
        help="Deploy this image (repeat as SERVICE=URI to give each service its own).",
    )


def _targets(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument("service", nargs="?", help=f"The service to {verb}.")
    parser.add_argument("--all", action="store_true", help=f"{verb.capitalize()} every service.")
    parser.add_argument(
        "--changed",
        action="store_true",
        help=f"{verb.capitalize()} only services whose live version differs from HEAD's (says why).",
    )


def _service(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("service", help=what)


def _waiting(parser: argparse.ArgumentParser, timeout: float, what: str) -> None:
    parser.add_argument("--timeout", type=float, default=timeout, help=f"Seconds to wait for {what}.")


def _lock_wait(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lock-wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="Wait this long for another deploy of the same service to finish (default: fail at once).",
    )


def _no_verify(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="Skip the HTTP health check of the new version (printed as skipped).",
    )


def build() -> argparse.ArgumentParser:
    """The argparse tree for `expressway`."""
    parser: argparse.ArgumentParser = _Parser(  # typed as the base: subcommands get _Parser at runtime
        prog="expressway",
        description="Deploy the services in services.toml to ECS Express Mode, one shared ALB.",
    )
    parser.add_argument("--registry", help="Path to services.toml (default: the nearest one above the cwd).")
    verbs = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _json(verbs.add_parser("validate", help="Check services.toml offline."), "the deploy order")
    verbs.add_parser("schema", help="Print the JSON Schema of services.toml.")

    plan = verbs.add_parser("plan", help="Show what a deploy would change (exit 0/2/1).")
    _targets(plan, "plan")
    _env(plan)
    _images(plan)
    _json(plan, "the plan")

    deploy = verbs.add_parser("deploy", help="Create or update services and wait until they serve.")
    _targets(deploy, "deploy")
    _env(deploy)
    _images(deploy)
    deploy.add_argument("--json", action="store_true", help="Emit progress as JSON events.")
    _no_verify(deploy)
    deploy.add_argument(
        "--allow-new-alb",
        action="store_true",
        help="Allow a 26th service in the VPC, which makes Express create a second (paid) ALB.",
    )
    _waiting(deploy, 1800.0, "each deployment")
    _lock_wait(deploy)
    deploy.add_argument("--parallel", type=int, default=4, help="Deploy at most this many at once (--all).")

    status = verbs.add_parser("status", help="Show every service: state, URL, version, ALB.")
    _env(status)
    _json(status, "the status")

    destroy = verbs.add_parser("destroy", help="Delete a service (tables, roles and logs stay).")
    _service(destroy, "The service to delete.")
    _env(destroy)
    destroy.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
    _waiting(destroy, 1200.0, "INACTIVE")

    rollback = verbs.add_parser("rollback", help="Redeploy an earlier version's exact image and config.")
    _service(rollback, "The service to roll back.")
    rollback.add_argument(
        "--to", metavar="VERSION", help="Version (commit prefix) or digest; default: previous."
    )
    _env(rollback)
    _lock_wait(rollback)
    _waiting(rollback, 1800.0, "the deployment")
    _no_verify(rollback)

    history = verbs.add_parser("history", help="List a service's deploys: when, who, version, digest.")
    _service(history, "The service.")
    _env(history)
    history.add_argument("--limit", type=int, default=20, help="Show this many deploys (newest first).")
    _json(history, "the deploys")

    logs = verbs.add_parser("logs", help="Show a service's log lines (CloudWatch Logs).")
    _service(logs, "The service.")
    _env(logs)
    logs.add_argument("--since", default="10m", help="How far back: 30s, 10m, 2h, 1d or an ISO time.")
    logs.add_argument("--follow", "-f", action="store_true", help="Keep printing new lines until Ctrl-C.")
    logs.add_argument(
        "--json", action="store_true", help="Print each line raw (the JSON the service logged)."
    )

    cost = verbs.add_parser("cost", help="Estimate the monthly cost per service and in total.")
    _env(cost)
    _json(cost, "the estimate")
    cost.add_argument("--prices", type=Path, help="TOML file whose [prices] replace built-in figures.")
    cost.add_argument("--zones", type=int, help="Availability zones the ALB spans (default: subnets or 3).")

    doctor = verbs.add_parser(
        "doctor", help="Check what a first deploy to ENV needs (credentials, network, quotas, ...)."
    )
    _env(doctor)
    _json(doctor, "the checks")

    policy = verbs.add_parser(
        "policy", help="Print the least-privilege IAM policy (JSON) of the identity that deploys ENV."
    )
    _env(policy)
    policy.add_argument(
        "--account", help="Account id to scope the policy to (default: the caller's, from AWS STS)."
    )
    policy.add_argument(
        "--partition",
        choices=PARTITIONS,
        help="Partition of the ARNs (default: the caller's; `aws` with --account).",
    )

    local_env = verbs.add_parser(
        "local-env", help="Print `export AWS_...` lines for the running local cloud (eval them)."
    )
    local_env.add_argument(
        "--env", help="Environment from services.toml (default: $EXPRESSWAY_ENV, else the first local one)."
    )
    local_env.add_argument(
        "--identity",
        choices=("developer", "deployer", "runtime"),
        default="developer",
        help="Whose key: developer (may do anything), deployer (the deployer policy) or runtime.",
    )

    new = verbs.add_parser("new", help="Scaffold services/NAME on libs/common and register it.")
    new.add_argument("name", help="The new service's name (a-z, 0-9, '-').")

    dev = verbs.add_parser(
        "dev", help="Run the whole fleet on this machine: emulated AWS, router, services, demo data."
    )
    _env(dev, "local")
    dev.add_argument(
        "--port",
        type=int,
        default=8080,
        help="Router port: services answer at http://<service>.localhost:PORT.",
    )
    dev.add_argument("--no-simulator", action="store_true", help="Do not post simulated sensor readings.")
    dev.add_argument("--sensors", type=int, default=3, help="How many simulated sensors (default: 3).")
    dev.add_argument("--interval", type=float, default=2.0, help="Seconds between readings (default: 2).")
    return parser


def _targets_of(args: argparse.Namespace) -> o.Targets:
    return o.Targets(service=args.service, all=args.all, changed=args.changed)


def _common(args: argparse.Namespace) -> dict[str, Any]:
    return {"registry": args.registry, "env": getattr(args, "env", None)}


def parse(argv: Sequence[str]) -> o.Verb:
    """The verb's options for command line `argv` (without the program name)."""
    a = build().parse_args(list(argv))
    c = _common(a)
    match a.command:
        case "schema":
            return o.Schema(**c)
        case "new":
            return o.New(**c, name=a.name)
        case "validate":
            return o.Validate(**c, json=a.json)
        case "plan":
            return o.Plan(**c, targets=_targets_of(a), images=tuple(a.image), json=a.json)
        case "deploy":
            return o.Deploy(
                **c, targets=_targets_of(a), images=tuple(a.image), json=a.json, verify=not a.no_verify,
                allow_new_alb=a.allow_new_alb, timeout=a.timeout, lock_wait=a.lock_wait, parallel=a.parallel,
            )  # fmt: skip
        case "rollback":
            return o.Rollback(
                **c,
                service=a.service,
                to=a.to,
                verify=not a.no_verify,
                timeout=a.timeout,
                lock_wait=a.lock_wait,
            )
        case "status":
            return o.Status(**c, json=a.json)
        case "destroy":
            return o.Destroy(**c, service=a.service, yes=a.yes, timeout=a.timeout)
        case "history":
            return o.History(**c, service=a.service, limit=a.limit, json=a.json)
        case "logs":
            return o.Logs(**c, service=a.service, since=a.since, follow=a.follow, json=a.json)
        case "cost":
            return o.Cost(**c, json=a.json, prices=a.prices, zones=a.zones)
        case "doctor":
            return o.Doctor(**c, json=a.json)
        case "policy":
            return o.Policy(**c, account=a.account, partition=a.partition)
        case "local-env":
            return o.LocalEnv(**c, identity=a.identity)
        case "dev":
            return o.Dev(
                **c, port=a.port, simulate=not a.no_simulator, sensors=a.sensors, interval=a.interval
            )
    raise UsageError(f"expressway: unknown command {a.command!r}")  # argparse refuses it first
