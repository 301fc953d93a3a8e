"""Operations commands (issue 7): cost, new, history, rollback, logs, and deploy/plan --changed, --all."""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expressway import registry
from expressway.console import Console
from expressway.errors import UsageError

if TYPE_CHECKING:
    from expressway.deploy.deployer import Deployer

COMMANDS = frozenset({"cost", "new", "history", "rollback", "logs"})


def _env(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env", help="Environment from services.toml (default: $EXPRESSWAY_ENV, else the first)."
    )


def _lock_wait(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lock-wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="Wait this long for another deploy of the same service to finish (default: fail at once).",
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

    history = verbs.add_parser("history", help="List a service's deploys: when, who, version, digest.")
    history.add_argument("service", help="The service.")
    _env(history)
    history.add_argument("--limit", type=int, default=20, help="Show this many deploys (newest first).")
    history.add_argument("--json", action="store_true", help="Print the deploys as JSON on stdout.")

    rollback = verbs.add_parser("rollback", help="Redeploy an earlier version's exact image and config.")
    rollback.add_argument("service", help="The service to roll back.")
    rollback.add_argument(
        "--to", metavar="VERSION", help="Version (commit prefix) or digest; default: previous."
    )
    _env(rollback)
    _lock_wait(rollback)
    rollback.add_argument("--timeout", type=float, default=1800.0, help="Seconds to wait for the deployment.")
    rollback.add_argument(
        "--no-verify", action="store_true", help="Skip the HTTP health check of the version."
    )

    logs = verbs.add_parser("logs", help="Show a service's log lines (CloudWatch Logs).")
    logs.add_argument("service", help="The service.")
    _env(logs)
    logs.add_argument("--since", default="10m", help="How far back: 30s, 10m, 2h, 1d or an ISO time.")
    logs.add_argument("--follow", "-f", action="store_true", help="Keep printing new lines until Ctrl-C.")
    logs.add_argument(
        "--json", action="store_true", help="Print each line raw (the JSON the service logged)."
    )


def add_deploy_options(deploy: argparse.ArgumentParser) -> None:
    """deploy: --changed, --lock-wait and --parallel."""
    deploy.add_argument(
        "--changed", action="store_true", help="Deploy only services whose live version differs."
    )
    _lock_wait(deploy)
    deploy.add_argument("--parallel", type=int, default=4, help="Deploy at most this many at once (--all).")


def add_plan_options(plan: argparse.ArgumentParser) -> None:
    plan.add_argument("--changed", action="store_true", help="Plan only changed services, with the reason.")


def _environment_name(reg: registry.Registry, explicit: str | None) -> str:
    name = explicit or os.environ.get("EXPRESSWAY_ENV") or next(iter(reg.environments))
    reg.environment(name)
    return name


def live_version(observed: dict[str, Any] | None) -> str | None:
    """APP_VERSION of the revision that serves now, or None when the service is not deployed."""
    from expressway.plan.desired import VERSION_VAR
    from expressway.plan.steps import active_configuration

    if observed is None:
        return None
    container = active_configuration(observed).get("primaryContainer") or {}
    for item in container.get("environment") or []:
        if item.get("name") == VERSION_VAR:
            return str(item.get("value"))
    return "unknown"


def changed_keys(args: argparse.Namespace, deployer: Deployer, console: Console) -> list[str]:
    """The services `--changed` selects; each decision and its reason is shown (stderr)."""
    from expressway.aws.ledger import Ledger
    from expressway.cli import find_registry
    from expressway.deploy.changed import ChangeDetector, changed_text, decide_all
    from expressway.deploy.history import History

    if getattr(args, "service", None) or getattr(args, "all", False):
        raise UsageError(f"{args.command}: --changed picks the services itself; drop the name or --all")
    keys = list(deployer.registry.services)
    live = {key: live_version(deployer.observe(key)) for key in keys}
    history = History(Ledger(deployer.environment, deployer.names), deployer.env)
    failed = {key: reason for key in keys if (reason := history.last_failure(key))}
    root = find_registry(args.registry).parent
    decisions = decide_all(ChangeDetector(root, deployer.registry, deployer.env), live, failed)
    if getattr(args, "json", False):  # one JSON object per service, whatever the progress format
        console.err.write("".join(json.dumps({"event": "decision", **d.as_dict()}) + "\n" for d in decisions))
    else:
        console.err.write(changed_text(decisions))
    return [d.service for d in decisions if d.changed]


def deploy(args: argparse.Namespace, console: Console, deployer: Deployer) -> int:
    """`deploy SERVICE|--all|--changed`: locked, recorded, ordered; one summary; exit 1 naming failures."""
    from expressway.deploy.fleet import Operator, RecordingDeployer, summary_json, summary_text

    reg = deployer.registry
    if args.changed:
        keys = changed_keys(args, deployer, console)
        if not keys:
            console.progress("nothing changed: every service runs what HEAD would deploy")
            return 0
    elif args.all and args.service:
        raise UsageError("deploy: give a service or --all, not both")
    elif args.all:
        keys = list(reg.services)
    elif args.service:
        reg.service(args.service)
        keys = [args.service]
    else:
        raise UsageError(
            "deploy: which service?", hint=f"name one of {', '.join(reg.services)}, or --all/--changed"
        )
    operator = Operator(RecordingDeployer.like(deployer), lock_wait=args.lock_wait)
    results = operator.deploy_many(keys, parallel=max(1, args.parallel))
    bad = [r for r in results if not r.ok]
    single = bool(args.service)
    if single and bad and bad[0].error is not None:
        raise bad[0].error  # one named service: its own error and hint, as a plain deploy reports it
    if args.json:
        console.data(json.dumps(summary_json(deployer.env, results), indent=2) + "\n")
    elif single:
        console.data(f"{results[0].service}: {results[0].url}\n")
    else:
        console.data(summary_text(results))
    if bad:
        names = ", ".join(f"{r.service} ({r.status})" for r in bad)
        message = f"deploy: {len(bad)} of {len(results)} services did not deploy: {names}"
        if args.json:
            console.progress(f"error: {message}")
        else:
            console.err.write(f"error: {message}\n")
        return 1
    console.progress(f"next: `expressway status --env {deployer.env}`")
    return 0


def run(args: argparse.Namespace, path: Path, console: Console, factory: Any = None) -> int:
    """Run one operations command; ExpresswayError propagates to main(). `factory` builds the Deployer."""
    if args.command == "new":
        from expressway.ops.scaffold import scaffold

        made = scaffold(path.parent, args.name)
        for file in made.files:
            console.progress(f"created {file.relative_to(path.parent)}")
        console.progress(f"registered [services.{made.name}] in services.toml and ran `uv lock`")
        console.data("next:\n" + "".join(f"  {command}\n" for command in made.next_commands))
        return 0
    reg = registry.load(path)
    env = _environment_name(reg, args.env)
    if args.command == "cost":
        from expressway.ops.cost import cost_json, cost_text, estimate
        from expressway.plan.pricing import prices_for

        figures = estimate(reg, env, prices_for(reg.environment(env).region, args.prices), args.zones)
        console.data(cost_json(figures) if args.json else cost_text(figures))
        return 0
    reg.service(args.service)
    if args.command == "history":
        return _history(args, reg, env, console)
    if args.command == "logs":
        return _logs(args, reg, env, console)
    from expressway.cli.cloud import make_deployer
    from expressway.deploy.rollback import rollback

    deployer = (factory or make_deployer)(args, reg, env, console, root=path.parent)
    result = rollback(deployer, args.service, args.to, args.lock_wait)
    from expressway.deploy.fleet import summary_text

    console.data(summary_text([result]))
    return 0 if result.ok else 1


def _history(args: argparse.Namespace, reg: registry.Registry, env: str, console: Console) -> int:
    from expressway.aws.ledger import Ledger
    from expressway.deploy.history import History, history_json, history_text
    from expressway.registry.names import Names

    records = History(Ledger(reg.environment(env), Names.of(reg, env)), env).records(args.service, args.limit)
    console.data(history_json(args.service, env, records) if args.json else history_text(records))
    return 0


def _logs(args: argparse.Namespace, reg: registry.Registry, env: str, console: Console) -> int:
    from expressway.aws.cwlogs import LogReader
    from expressway.ops.logformat import parse_since
    from expressway.ops.logs import tail
    from expressway.registry.names import Names

    since = parse_since(args.since, datetime.now(UTC))
    reader = LogReader(reg.environment(env), Names.of(reg, env).log_group(args.service))
    tail(reader, since, lambda line: console.data(line + "\n"), raw=args.json, follow=args.follow)
    return 0
