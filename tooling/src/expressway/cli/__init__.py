"""`expressway`: parse -> load registry -> observe -> plan -> render -> confirm -> apply."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from expressway import registry
from expressway.cli import ops
from expressway.cli.parser import build
from expressway.console import Console
from expressway.errors import ConfigError, ExpresswayError
from expressway.registry.refs import deploy_order

if TYPE_CHECKING:
    from expressway.deploy.deployer import Deployer


class DeployerFactory(Protocol):
    """Builds the Deployer for a command (the CLI's seam for tests and the local cloud)."""

    def __call__(
        self, args: Any, reg: registry.Registry, env: str, console: Console, *, root: Path
    ) -> Deployer: ...


def find_registry(explicit: str | None, start: Path | None = None) -> Path:
    """services.toml given on the command line, or the nearest one in the cwd or above."""
    if explicit:
        return Path(explicit)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "services.toml").is_file():
            return folder / "services.toml"
    raise ConfigError(
        [f"services.toml not found: not in {here} or any folder above"],
        hint="run from the repository, or pass --registry PATH",
    )


def environment_name(reg: registry.Registry, explicit: str | None) -> str:
    """--env, else $EXPRESSWAY_ENV, else the first environment in the file; checked to exist."""
    name = explicit or os.environ.get("EXPRESSWAY_ENV") or next(iter(reg.environments))
    reg.environment(name)
    return name


def _validate(reg: registry.Registry, path: Path, as_json: bool, console: Console) -> int:
    order = deploy_order(reg, list(reg.services))
    if as_json:
        document = {"valid": True, "path": str(path), "deploy_order": order}
        console.data(json.dumps(document, indent=2) + "\n")
    else:
        console.data(
            f"{path}: valid: {len(reg.services)} services, {len(reg.tables)} tables, "
            f"{len(reg.environments)} environments; deploy order: {', '.join(order)}\n"
        )
    return 0


def run(argv: Sequence[str], console: Console, factory: DeployerFactory | None = None) -> int:
    """Run one command; ExpresswayError propagates to main(). `factory` wires the Deployer (tests)."""
    args = build().parse_args(list(argv))
    if args.command == "schema":
        console.data(json.dumps(registry.schema(), indent=2) + "\n")
        return 0
    path = find_registry(args.registry)
    if args.command in ops.COMMANDS:  # operations (issue 7)
        return ops.run(args, path, console, factory)
    reg = registry.load(path)
    if args.command == "dev":  # the local cloud (issue 9)
        from expressway.local.devopts import run_dev

        return run_dev(args, path, reg, console)
    if args.command == "validate":
        return _validate(reg, path, args.json, console)
    from expressway.cli.cloud import make_deployer, run_cloud

    env = environment_name(reg, args.env)
    console.json_events = args.command == "deploy" and args.json
    deployer = (factory or make_deployer)(args, reg, env, console, root=path.parent)
    return run_cloud(args, reg, env, console, deployer)


def main(
    argv: Sequence[str] | None = None, console: Console | None = None, factory: DeployerFactory | None = None
) -> int:
    """Entry point: exit 1 with `error: ...` and a hint for anything a user or AWS caused."""
    console = console or Console()
    try:
        return run(sys.argv[1:] if argv is None else argv, console, factory)
    except ExpresswayError as exc:
        console.error(exc)
        return 1
    except KeyboardInterrupt:
        console.err.write("interrupted: re-run the same command; every step is idempotent\n")
        return 130
