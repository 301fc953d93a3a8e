"""How a command line becomes a Deployer: which images, which prober, which waits (tests pass their own)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Protocol

from expressway.aws.ecr import Ecr
from expressway.cli import options as o
from expressway.console import Console
from expressway.deploy.deployer import Deployer, Options
from expressway.deploy.version import git_version
from expressway.deploy.waiting import HttpProber, Prober
from expressway.images.built import BuiltImages
from expressway.images.source import GivenImages, ImageSource, SourceImages
from expressway.registry import Registry

# The local cloud answers at once: poll it fast. Real AWS deployments take minutes.
LOCAL_POLL, AWS_POLL = 0.2, 5.0


class DeployerFactory(Protocol):
    """Builds the Deployer for a command (the CLI's seam for tests)."""

    def __call__(
        self,
        verb: o.Deploy | o.Rollback | o.Plan,
        reg: Registry,
        env: str,
        console: Console,
        /,
        *,
        root: Path,
    ) -> Deployer: ...


def make_deployer(
    verb: o.Deploy | o.Rollback | o.Plan,
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
    local = environment.endpoint is not None
    # The local cloud's IAM is consistent at once: no settle time there.
    base = options or Options(poll=LOCAL_POLL if local else AWS_POLL, iam_settle=0.0 if local else 10.0)
    if isinstance(verb, o.Deploy | o.Rollback):
        allow = isinstance(verb, o.Deploy) and verb.allow_new_alb
        options = dataclasses.replace(
            base,
            timeout=verb.timeout,
            verify=base.verify and verb.verify,
            allow_new_alb=base.allow_new_alb or allow,
        )
    else:
        options = base
    version = git_version(root)
    given = list(verb.images) if isinstance(verb, o.Deploy | o.Plan) else []
    if images is None and not given:
        if environment.endpoint:  # the local cloud runs services from source: the image names it
            paths = {key: svc.path for key, svc in reg.services.items()}
            images = SourceImages(root, version, paths, {key: svc.app for key, svc in reg.services.items()})
        else:  # AWS: build this checkout's images, push them to ECR, pin the digests
            images = BuiltImages(root=root, registry=reg, env=env, ecr=Ecr(environment))
    return Deployer(
        reg,
        env,
        images or GivenImages.parse(given),
        prober or HttpProber(poll=options.poll, clock=options.clock),
        version,
        console.progress,
        options,
    )
