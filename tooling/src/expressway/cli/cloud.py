"""The commands that talk to AWS: plan, deploy, status, destroy."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from expressway.cli import ops
from expressway.console import Console
from expressway.deploy.deployer import Deployer, Options
from expressway.deploy.version import git_version
from expressway.deploy.waiting import HttpProber, Prober
from expressway.errors import UsageError
from expressway.images.source import GivenImages, ImageSource
from expressway.ops import status as status_mod
from expressway.ops.destroy import destroy
from expressway.plan.render import plan_json, plan_text, status_json, status_text
from expressway.registry import Registry

# The local cloud answers at once: poll it fast. Real AWS deployments take minutes.
LOCAL_POLL, AWS_POLL = 0.2, 5.0


def _targets(args: argparse.Namespace, reg: Registry, verb: str) -> list[str]:
    if args.all and args.service:
        raise UsageError(f"{verb}: give a service or --all, not both")
    if args.all:
        return list(reg.services)
    if not args.service:
        raise UsageError(
            f"{verb}: which service?", hint=f"name one of {', '.join(reg.services)}, or pass --all"
        )
    reg.service(args.service)
    return [args.service]


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


def make_deployer(
    args: argparse.Namespace,
    reg: Registry,
    env: str,
    console: Console,
    *,
    images: ImageSource | None = None,
    prober: Prober | None = None,
    options: Options | None = None,
    root: Path,
) -> Deployer:
    """A Deployer wired from the command line; tests pass their own seams."""
    environment = reg.environment(env)
    base = options or Options(poll=LOCAL_POLL if environment.endpoint else AWS_POLL)
    options = dataclasses.replace(
        base,
        timeout=getattr(args, "timeout", base.timeout),
        verify=base.verify and not getattr(args, "no_verify", False),
        allow_new_alb=base.allow_new_alb or getattr(args, "allow_new_alb", False),
    )
    version = git_version(root)
    if environment.endpoint:  # the local cloud (issue 9): services run from source, *.localhost is loopback
        from expressway.local.source import LocalhostTransport, SourceImages

        if images is None and not getattr(args, "image", []):
            images = SourceImages(root, version, {key: svc.path for key, svc in reg.services.items()})
        prober = prober or HttpProber(LocalhostTransport(), poll=options.poll, clock=options.clock)
    elif images is None and not getattr(args, "image", []):
        # AWS without --image (issue 8): build this checkout's images, push them to ECR, pin the digests.
        from expressway.aws.ecr import Ecr
        from expressway.aws.session import client
        from expressway.images.built import BuiltImages

        images = BuiltImages(root=root, registry=reg, env=env, ecr=Ecr(client(environment, "ecr")))
    return Deployer(
        reg,
        env,
        images or GivenImages.parse(getattr(args, "image", [])),
        prober or HttpProber(poll=options.poll, clock=options.clock),
        version,
        console.progress,
        options,
    )


def run_cloud(args: argparse.Namespace, reg: Registry, env: str, console: Console, deployer: Deployer) -> int:
    """Dispatch one AWS-facing command; returns the exit code."""
    if args.command == "plan":
        changed = getattr(args, "changed", False)  # operations (issue 7): plan --changed
        keys = ops.changed_keys(args, deployer, console) if changed else _targets(args, reg, "plan")
        plan = deployer.plan(keys)
        console.data(plan_json(plan) if args.json else plan_text(plan, console.color))
        return plan.exit_code
    if args.command == "deploy":  # operations (issue 7): locks, deploy records, --all/--changed, summary
        return ops.deploy(args, console, deployer)
    if args.command == "status":
        rows = status_mod.rows(deployer, deployer.version)
        console.data(status_json(env, rows) if args.json else status_text(env, rows))
        return 0
    reg.service(args.service)
    if not _confirm(console, f"destroy {args.service} in {env}?", args.yes):
        console.progress("not destroyed")
        return 1
    for line in destroy(deployer, args.service, args.timeout):
        console.progress(f"kept: {line}")
    return 0
