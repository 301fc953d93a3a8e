"""The verbs that change (or would change) what runs: plan, deploy, rollback; and `--changed`."""

from __future__ import annotations

import json
from pathlib import Path

from expressway.aws.ledger import Ledger
from expressway.cli import options as o
from expressway.console import Console
from expressway.deploy.changed import ChangeDetector, changed_text, decide_all
from expressway.deploy.deployer import Deployer
from expressway.deploy.fleet import Operator, Result, summary_json, summary_text
from expressway.deploy.history import History
from expressway.deploy.rollback import rollback as roll_back
from expressway.errors import ExpresswayError, UsageError
from expressway.plan.render import plan_json, plan_text


def pick_targets(
    verb: str, targets: o.Targets, deployer: Deployer, root: Path, console: Console, *, as_json: bool
) -> list[str]:
    """The services a verb acts on: one named service, every one (`--all`), or those `--changed` picks."""
    reg = deployer.registry
    if targets.changed and (targets.service or targets.all):
        raise UsageError(f"{verb}: --changed picks the services itself; drop the name or --all")
    if targets.service and targets.all:
        raise UsageError(f"{verb}: give a service or --all, not both")
    if targets.changed:
        return _changed(deployer, root, console, as_json)
    if targets.all:
        return list(reg.services)
    if not targets.service:
        raise UsageError(
            f"{verb}: which service?", hint=f"name one of {', '.join(reg.services)}, or --all/--changed"
        )
    reg.service(targets.service)
    return [targets.service]


def _changed(deployer: Deployer, root: Path, console: Console, as_json: bool) -> list[str]:
    """The services `--changed` selects; each decision and its reason is shown (stderr)."""
    keys = list(deployer.registry.services)
    live = {}
    for key in keys:
        service = deployer.observe(key)
        live[key] = None if service is None else (service.version or "unknown")
    history = History(Ledger(deployer.environment, deployer.names), deployer.env)
    failed = {key: reason for key in keys if (reason := history.last_failure(key))}
    decisions = decide_all(ChangeDetector(root, deployer.registry, deployer.env), live, failed)
    if as_json:  # one JSON object per service, whatever the progress format
        console.err.write("".join(json.dumps({"event": "decision", **d.as_dict()}) + "\n" for d in decisions))
    else:
        console.err.write(changed_text(decisions))
    return [d.service for d in decisions if d.changed]


def plan(verb: o.Plan, deployer: Deployer, root: Path, console: Console) -> int:
    """`plan SERVICE|--all|--changed`: what a deploy would do; exit 0 nothing, 2 changes, 1 blocked."""
    keys = pick_targets("plan", verb.targets, deployer, root, console, as_json=verb.json)
    found = deployer.plan(keys)
    same = len(deployer.registry.services) - len(keys) if verb.targets.changed else 0  # listed as `same`
    console.data(plan_json(found) if verb.json else plan_text(found, console.color, also_unchanged=same))
    return found.exit_code


def deploy(verb: o.Deploy, deployer: Deployer, root: Path, console: Console) -> int:
    """`deploy SERVICE|--all|--changed`: locked, recorded, ordered; one summary; exit 1 naming failures.

    With --json, stdout gets exactly one JSON document however the run ends: each service's outcome,
    and `error` when it failed (then the exit status is 1, and the error is also on stderr)."""
    keys: list[str] = []
    try:
        keys = pick_targets("deploy", verb.targets, deployer, root, console, as_json=verb.json)
        if verb.targets.changed and not keys:
            if verb.json:
                console.data(json.dumps(summary_json(deployer.env, []), indent=2) + "\n")
            console.progress("nothing changed: every service runs what HEAD would deploy")
            return 0
        operator = Operator(deployer, lock_wait=verb.lock_wait)
        results = operator.deploy_many(keys, parallel=max(1, verb.parallel))
    except ExpresswayError as exc:
        if verb.json:  # the run stopped before its first deploy (targets, facts, operations table)
            untried = [
                Result(key, "skipped", detail="not attempted: the run stopped before it") for key in keys
            ]
            console.data(json.dumps(summary_json(deployer.env, untried, error=exc), indent=2) + "\n")
        raise
    bad = [r for r in results if not r.ok]
    single = bool(verb.targets.service)
    if verb.json:
        first = bad[0].error if single and bad else None
        console.data(json.dumps(summary_json(deployer.env, results, error=first), indent=2) + "\n")
    if single and bad and bad[0].error is not None:
        raise bad[0].error  # one named service: its own error and hint, as a plain deploy reports it
    if not verb.json:
        console.data(f"{results[0].service}: {results[0].url}\n" if single else summary_text(results))
    if bad:
        names = ", ".join(f"{r.service} ({r.status})" for r in bad)
        message = f"deploy: {len(bad)} of {len(results)} services did not deploy: {names}"
        if verb.json:
            console.progress(f"error: {message}")
        else:
            console.err.write(f"error: {message}\n")
        return 1
    console.progress(f"next: `expressway status --env {deployer.env}`")
    return 0


def rollback(verb: o.Rollback, deployer: Deployer, console: Console) -> int:
    """`rollback SERVICE [--to VERSION]`: an earlier deploy's exact image and config, under the lock."""
    result = roll_back(deployer, verb.service, verb.to, verb.lock_wait)
    console.data(summary_text([result]))
    return 0 if result.ok else 1
