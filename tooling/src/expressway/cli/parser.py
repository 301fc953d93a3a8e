"""The command line: verbs one level deep, at most one positional, every option explained."""

from __future__ import annotations

import argparse

from expressway.cli import ops


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
    parser = argparse.ArgumentParser(
        prog="expressway",
        description="Deploy the services in services.toml to ECS Express Mode, one shared ALB.",
    )
    parser.add_argument("--registry", help="Path to services.toml (default: the nearest one above the cwd).")
    verbs = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = verbs.add_parser("validate", help="Check services.toml offline.")
    _json(validate, "the deploy order")
    verbs.add_parser("schema", help="Print the JSON Schema of services.toml.")
    ops.add_commands(verbs)  # operations (issue 7): cost, new, history, rollback, logs

    return parser
