"""A deploy whose deployment cannot succeed ends as soon as the cause shows, with the reason, the
service's recent events and its last log lines, instead of waiting out a 30-minute timeout."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from expressway.cli import main
from expressway.cli.wiring import make_deployer
from expressway.console import Console
from expressway.deploy.deployer import Deployer, Options
from expressway.deploy.version import git_version
from expressway.deploy.waiting import Clock, HttpProber
from expressway.registry import Registry
from expressway.testing import IMAGE, FakeService
from localcloud.emulation import faults


def _deploy(registry_file: Path, web: FakeService) -> tuple[int, str, float]:
    """`expressway deploy sensors` with the real waits (30 minutes) and real sleeps, short polls."""

    def factory(verb: Any, reg: Registry, env: str, console: Console, *, root: Path) -> Deployer:
        prober = HttpProber(httpx.MockTransport(web), poll=0.05)
        options = Options(poll=0.05, clock=Clock(), watch_interval=0.1, iam_settle=0.0)
        return make_deployer(verb, reg, env, console, prober=prober, options=options, root=root)

    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    code = main(
        ["--registry", str(registry_file), "deploy", "sensors", "--env", "prod", "--image", IMAGE],
        Console(out, err),
        factory,
    )
    return code, err.getvalue(), time.monotonic() - started


def test_a_managed_resource_that_failed_ends_the_deploy_at_once_with_its_reason(
    aws: None, registry_file: Path, served: FakeService
) -> None:
    faults.fail_provisioning("loadBalancer", "Access denied for ec2:DescribeAccountAttributes")

    code, err, seconds = _deploy(registry_file, served)

    assert code == 1
    assert seconds < 30
    assert "cannot succeed: loadBalancer FAILED: Access denied for ec2:DescribeAccountAttributes" in err
    assert "recent events:" in err
    assert "last log lines:" in err
    assert "Traceback" not in err


def test_a_task_that_cannot_pull_its_image_ends_the_deploy_with_ecss_reason(
    aws: None, registry_file: Path, served: FakeService
) -> None:
    faults.fail_tasks("pull", service="homestack-prod-sensors")

    code, err, seconds = _deploy(registry_file, served)

    assert code == 1
    assert seconds < 30
    assert "CannotPullContainerError" in err
    assert "recent events:" in err
    assert "(no events)" not in err  # ECS said what happened to the tasks


@pytest.fixture
def served(registry_file: Path, web: FakeService) -> FakeService:
    """The fake service answers with the version the CLI computes for the registry's folder."""
    web.version = git_version(registry_file.parent)
    return web
