"""Operations commands (issue 7): cost, new, history, rollback, logs; parsers and dispatch."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from expressway import registry
from expressway.console import Console

COMMANDS = frozenset({"cost", "new"})


def _env(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env", help="Environment from services.toml (default: $EXPRESSWAY_ENV, else the first)."
    )


def add_commands(verbs: Any) -> None:
    """Register the operations verbs on the `expressway` subparsers."""
    cost = verbs.add_parser("cost", help="Estimate the monthly cost per service and in total.")
    _env(cost)
    cost.add_argument("--json", action="store_true", help="Print the estimate as JSON on stdout.")
    cost.add_argument("--prices", type=Path, help="TOML file whose [prices] replace built-in figures.")
    cost.add_argument("--zones", type=int, help="Availability zones the ALB spans (default: subnets or 3).")

    new = verbs.add_parser("new", help="Scaffold services/NAME on libs/common and register it.")
    new.add_argument("name", help="The new service's name (a-z, 0-9, '-').")


def _environment_name(reg: registry.Registry, explicit: str | None) -> str:
    name = explicit or os.environ.get("EXPRESSWAY_ENV") or next(iter(reg.environments))
    reg.environment(name)
    return name


def run(args: argparse.Namespace, path: Path, console: Console) -> int:
    """Run one operations command; ExpresswayError propagates to main()."""
    if args.command == "new":
        from expressway.scaffold import scaffold

        made = scaffold(path.parent, args.name)
        for file in made.files:
            console.progress(f"created {file.relative_to(path.parent)}")
        console.progress(f"registered [services.{made.name}] in services.toml and ran `uv lock`")
        console.data("next:\n" + "".join(f"  {command}\n" for command in made.next_commands))
        return 0
    reg = registry.load(path)
    env = _environment_name(reg, args.env)
    from expressway.cost import cost_json, cost_text, estimate
    from expressway.pricing import prices_for

    figures = estimate(reg, env, prices_for(reg.environment(env).region, args.prices), args.zones)
    console.data(cost_json(figures) if args.json else cost_text(figures))
    return 0
