"""The command line: verbs one level deep, at most one positional, every option explained."""

from __future__ import annotations

import argparse
from typing import NoReturn

from expressway.cli import ops
from expressway.errors import UsageError
from expressway.local import devopts


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is a UsageError: exit 1 like every user error, because
    argparse's own exit 2 would read as "changes pending" to a script running `plan`."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}", hint=f"`{self.prog} --help` lists what is valid")


def _env(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env", help="Environment from services.toml (default: $EXPRESSWAY_ENV, else the first)."
    )


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


def _target(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument("service", nargs="?", help=f"The service to {verb}.")
    parser.add_argument("--all", action="store_true", help=f"{verb.capitalize()} every service.")


def build() -> argparse.ArgumentParser:
    """The argparse tree for `expressway`."""
    parser: argparse.ArgumentParser = _Parser(  # typed as the base: subcommands get _Parser at runtime
        prog="expressway",
        description="Deploy the services in services.toml to ECS Express Mode, one shared ALB.",
    )
    parser.add_argument("--registry", help="Path to services.toml (default: the nearest one above the cwd).")
    verbs = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = verbs.add_parser("validate", help="Check services.toml offline.")
    _json(validate, "the deploy order")
    verbs.add_parser("schema", help="Print the JSON Schema of services.toml.")
    ops.add_commands(verbs)  # operations (issue 7): cost, new, history, rollback, logs
    devopts.add_parser(verbs)  # the local cloud (issue 9): dev

    plan = verbs.add_parser("plan", help="Show what a deploy would change (exit 0/2/1).")
    _target(plan, "plan")
    _env(plan)
    _images(plan)
    _json(plan, "the plan")
    ops.add_plan_options(plan)  # operations (issue 7): --changed

    deploy = verbs.add_parser("deploy", help="Create or update services and wait until they serve.")
    _target(deploy, "deploy")
    _env(deploy)
    _images(deploy)
    deploy.add_argument("--json", action="store_true", help="Emit progress as JSON events.")
    deploy.add_argument("--yes", action="store_true", help="Do not ask before applying.")
    deploy.add_argument(
        "--no-verify",
        action="store_true",
        help="Skip the HTTP health check of the new version (printed as skipped).",
    )
    deploy.add_argument(
        "--allow-new-alb",
        action="store_true",
        help="Allow a 26th service in the VPC, which makes Express create a second (paid) ALB.",
    )
    deploy.add_argument("--timeout", type=float, default=1800.0, help="Seconds to wait for each deployment.")
    ops.add_deploy_options(deploy)  # operations (issue 7): --changed, --lock-wait, --parallel

    status = verbs.add_parser("status", help="Show every service: state, URL, version, ALB.")
    _env(status)
    _json(status, "the status")

    destroy = verbs.add_parser("destroy", help="Delete a service (tables, roles and logs stay).")
    destroy.add_argument("service", help="The service to delete.")
    _env(destroy)
    destroy.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
    destroy.add_argument("--timeout", type=float, default=1200.0, help="Seconds to wait for INACTIVE.")
    return parser
