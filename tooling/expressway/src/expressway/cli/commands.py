"""The one dispatcher: parse -> load the registry -> pick the environment and the targets -> run a verb."""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from expressway import registry
from expressway.aws.ledger import Ledger
from expressway.aws.logs import Logs
from expressway.cli import options as o
from expressway.cli.deploying import deploy, plan, rollback
from expressway.cli.parser import parse
from expressway.cli.wiring import DeployerFactory, make_deployer
from expressway.console import Console
from expressway.deploy.history import History, history_json, history_text
from expressway.deploy.target import Target
from expressway.deploy.version import git_version
from expressway.errors import ConfigError, ExpresswayError, UsageError
from expressway.ops.cost import cost_json, cost_text, estimate
from expressway.ops.destroy import destroy
from expressway.ops.doctor import doctor, report_json, report_text
from expressway.ops.local_env import lines as local_env_lines
from expressway.ops.local_env import local_environment
from expressway.ops.logs import parse_since, tail
from expressway.ops.scaffold import scaffold
from expressway.ops.status import rows
from expressway.plan.arns import Arns
from expressway.plan.deployer_policy import deployer_policy
from expressway.plan.pricing import prices_for
from expressway.plan.render import status_json, status_text
from expressway.registry.refs import deploy_order


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


def pick_environment(reg: registry.Registry, explicit: str | None) -> str:
    """--env, else $EXPRESSWAY_ENV, else the first environment in the file; checked to exist."""
    name = explicit or os.environ.get("EXPRESSWAY_ENV") or next(iter(reg.environments))
    reg.environment(name)
    return name


def run(argv: Sequence[str], console: Console, factory: DeployerFactory | None = None) -> int:
    """Run one command; ExpresswayError propagates to main(). `factory` wires the Deployer (tests)."""
    verb = parse(argv)
    if isinstance(verb, o.Schema):
        console.data(json.dumps(registry.schema(), indent=2) + "\n")
        return 0
    path = find_registry(verb.registry)
    if isinstance(verb, o.New):
        return _new(verb, path.parent, console)
    reg = registry.load(path)
    if isinstance(verb, o.Validate):
        return _validate(reg, path, verb.json, console)
    if isinstance(verb, o.Dev):
        return _dev(verb, path, reg, console)
    if isinstance(verb, o.LocalEnv):
        env_name = local_environment(reg, verb.env or os.environ.get("EXPRESSWAY_ENV"))
        console.data("".join(line + "\n" for line in local_env_lines(reg, env_name, verb.identity)))
        return 0
    env = pick_environment(reg, verb.env)
    make = factory or make_deployer
    match verb:
        case o.Plan():
            return plan(verb, make(verb, reg, env, console, root=path.parent), path.parent, console)
        case o.Deploy():
            console.json_events = verb.json
            return deploy(verb, make(verb, reg, env, console, root=path.parent), path.parent, console)
        case o.Rollback():
            reg.service(verb.service)
            return rollback(verb, make(verb, reg, env, console, root=path.parent), console)
        case o.Status():
            found = rows(Target(reg, env), git_version(path.parent))
            console.data(status_json(env, found) if verb.json else status_text(env, found))
            return 0
        case o.Destroy():
            return _destroy(verb, Target(reg, env), console)
        case o.History():
            reg.service(verb.service)
            target = Target(reg, env)
            records = History(Ledger(target.environment, target.names), env).records(verb.service, verb.limit)
            console.data(history_json(verb.service, env, records) if verb.json else history_text(records))
            return 0
        case o.Logs():
            reg.service(verb.service)
            since = parse_since(verb.since, datetime.now(UTC))
            group = registry.Names.of(reg, env).log_group(verb.service)
            emit = lambda line: console.data(line + "\n")  # noqa: E731
            tail(Logs(reg.environment(env)), group, since, emit, raw=verb.json, follow=verb.follow)
            return 0
        case o.Doctor():
            checks = doctor(Target(reg, env))
            console.data(report_json(env, checks) if verb.json else report_text(env, checks))
            return 1 if any(check.outcome == "FAIL" for check in checks) else 0
        case o.Policy():
            console.data(json.dumps(_policy(verb, Target(reg, env)), indent=2) + "\n")
            return 0
        case o.Cost():
            figures = estimate(reg, env, prices_for(reg.environment(env).region, verb.prices), verb.zones)
            console.data(cost_json(figures) if verb.json else cost_text(figures))
            return 0
    raise UsageError(f"expressway: {type(verb).__name__.lower()} needs no environment")  # not reached


def _policy(verb: o.Policy, target: Target) -> dict[str, Any]:
    """The deployer policy: for --account (offline), else for the caller STS reports."""
    if verb.account is not None:
        if not re.fullmatch(r"\d{12}", verb.account):
            raise UsageError(
                f"policy: --account {verb.account!r} is not an AWS account id", hint="use 12 digits"
            )
        arns = Arns(verb.partition or "aws", target.environment.region, verb.account)
    else:
        arns = target.arns()
        if verb.partition and verb.partition != arns.partition:
            raise UsageError(
                f"policy: --partition {verb.partition} but the caller is in {arns.partition}",
                hint="drop --partition, or pass --account to print the policy for another account",
            )
    return deployer_policy(target.registry, target.env, arns)


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


def _new(verb: o.New, root: Path, console: Console) -> int:
    made = scaffold(root, verb.name)
    for file in made.files:
        console.progress(f"created {file.relative_to(root)}")
    console.progress(f"registered [services.{made.name}] in services.toml and ran `uv lock`")
    console.data("next:\n" + "".join(f"  {command}\n" for command in made.next_commands))
    return 0


def _confirm(console: Console, question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(
            f"{question.rstrip('?')}: refusing without confirmation", hint="pass --yes to proceed"
        )
    console.err.write(f"{question} [y/N] ")
    console.err.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _destroy(verb: o.Destroy, target: Target, console: Console) -> int:
    target.registry.service(verb.service)
    if not _confirm(console, f"destroy {verb.service} in {target.env}?", verb.yes):
        console.progress("not destroyed")
        return 1
    poll = 0.2 if target.local else 5.0
    for line in destroy(target, verb.service, verb.timeout, console.progress, poll=poll):
        console.progress(f"kept: {line}")
    return 0


def _dev(verb: o.Dev, path: Path, reg: registry.Registry, console: Console) -> int:
    """`expressway dev`: the local cloud is its own package, loaded only here."""
    try:
        localcloud = importlib.import_module("localcloud.dev")
    except ModuleNotFoundError as exc:
        raise ExpresswayError(
            f"dev: the local cloud is not installed: {exc}",
            hint="install the workspace with `uv sync --all-packages` (or run `nox -s dev`)",
        ) from exc
    code: int = localcloud.run_dev(
        path, reg, console, env=verb.env or "local", port=verb.port, simulate=verb.simulate,
        sensors=verb.sensors, interval=verb.interval,
    )  # fmt: skip
    return code
