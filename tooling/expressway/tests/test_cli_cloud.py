"""plan, deploy, status and destroy through the CLI against moto + the Express emulation."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from expressway.cli import main
from expressway.cli.wiring import make_deployer
from expressway.console import Console
from expressway.deploy.deployer import Deployer, Options
from expressway.deploy.waiting import Clock, HttpProber
from expressway.registry import Registry
from expressway.testing import IMAGE, FakeService
from localcloud.emulation import faults

FAST = Clock(sleep=lambda _: None)


def _cli(argv: list[str], registry: Path, web: FakeService) -> tuple[int, str, str]:
    def factory(verb: Any, reg: Registry, env: str, console: Console, *, root: Path) -> Deployer:
        prober = HttpProber(httpx.MockTransport(web), poll=0.0, clock=FAST)
        options = Options(poll=0.0, clock=FAST, verify_timeout=0.0)
        return make_deployer(verb, reg, env, console, prober=prober, options=options, root=root)

    out, err = io.StringIO(), io.StringIO()
    code = main(["--registry", str(registry), *argv], Console(out, err), factory)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def served(registry_file: Path, web: FakeService) -> FakeService:
    """The fake services answer with the version the CLI computes for the registry's folder."""
    from expressway.deploy.version import git_version

    web.version = git_version(registry_file.parent)
    return web


def test_plan_exits_2_with_changes_then_0_once_deployed(
    aws: None, registry_file: Path, served: FakeService
) -> None:
    code, out, _ = _cli(["plan", "sensors", "--env", "prod", "--image", IMAGE], registry_file, served)
    assert code == 2
    assert "+ sensors (homestack-prod-sensors): create" in out
    code, out, err = _cli(["deploy", "sensors", "--env", "prod", "--image", IMAGE], registry_file, served)
    assert code == 0, err
    assert out.startswith("sensors: https://")
    assert "sensors: deployment SUCCESSFUL" in err
    assert "next: `expressway status --env prod`" in err
    code, out, _ = _cli(
        ["plan", "--all", "--env", "prod", "--image", f"sensors={IMAGE}", "--json"], registry_file, served
    )
    document = json.loads(out)
    assert code == 2
    assert {s["service"]: s["action"] for s in document["steps"]} == {
        "sensors": "no-change",
        "ingest": "create",
        "dashboard": "create",
    }


def test_deploy_all_then_status_shows_every_service_on_one_alb(
    aws: None, registry_file: Path, served: FakeService
) -> None:
    code, _, err = _cli(
        ["deploy", "--all", "--env", "prod", "--image", IMAGE, "--json"], registry_file, served
    )
    assert code == 0, err
    events = [json.loads(line) for line in err.splitlines()]
    assert all("event" in e for e in events)
    code, out, _ = _cli(["status", "--env", "prod", "--json"], registry_file, served)
    rows = {r["service"]: r for r in json.loads(out)["services"]}
    assert code == 0
    assert {r["state"] for r in rows.values()} == {"ACTIVE"}
    assert {r["version"] for r in rows.values()} == {served.version}
    assert len({r["load_balancer"] for r in rows.values()}) == 1
    assert {r["alb_services"] for r in rows.values()} == {3}
    assert {r["deployment"] for r in rows.values()} == {"SUCCESSFUL"}
    code, out, _ = _cli(["status", "--env", "prod"], registry_file, served)
    assert "(3/25)" in out
    assert out.splitlines()[1].startswith("SERVICE")


def test_failing_deployment_exits_1_with_the_reason_and_no_traceback(
    aws: None, registry_file: Path, served: FakeService
) -> None:
    assert _cli(["deploy", "sensors", "--env", "prod", "--image", IMAGE], registry_file, served)[0] == 0
    faults.fail_next_deployment("homestack-prod-sensors", reason="tasks failed their health checks")
    code, _, err = _cli(["deploy", "sensors", "--env", "prod", "--image", f"{IMAGE}x"], registry_file, served)
    assert code == 1
    assert "error: deploy sensors: deployment ROLLBACK_SUCCESSFUL: tasks failed their health checks" in err
    assert "hint: fix the cause and deploy again" in err
    assert "Traceback" not in err


def test_unknown_service_suggests_the_closest(aws: None, registry_file: Path, served: FakeService) -> None:
    code, _, err = _cli(["deploy", "sensor", "--env", "prod", "--image", IMAGE], registry_file, served)
    assert code == 1
    assert "error: unknown service 'sensor': not in services.toml" in err
    assert "hint: did you mean 'sensors'?" in err


def test_no_verify_is_explicit_in_the_output(aws: None, registry_file: Path, served: FakeService) -> None:
    argv = ["deploy", "sensors", "--env", "prod", "--image", IMAGE, "--no-verify"]
    code, _, err = _cli(argv, registry_file, served)
    assert code == 0
    assert "health check SKIPPED (--no-verify)" in err
    assert served.urls == []


def test_destroy_waits_for_inactive_and_says_what_stays(
    aws: None, registry_file: Path, served: FakeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _cli(["deploy", "ingest", "--env", "prod", "--image", IMAGE], registry_file, served)[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = _cli(["destroy", "ingest", "--env", "prod"], registry_file, served)
    assert code == 1
    assert "hint: pass --yes" in err
    code, _, err = _cli(["destroy", "ingest", "--env", "prod", "--yes"], registry_file, served)
    assert code == 0, err
    assert "ingest: homestack-prod-ingest is INACTIVE" in err
    assert "kept: table homestack-prod-readings" in err
    assert "kept: role homestack-prod-ingest-task" in err
    code, out, err = _cli(["status", "--env", "prod", "--json"], registry_file, served)
    assert code == 0, err
    states: dict[str, Any] = {r["service"]: r["state"] for r in json.loads(out)["services"]}
    assert states["ingest"] in ("NOT DEPLOYED", "INACTIVE")
    code, _, err = _cli(["destroy", "ingest", "--env", "prod", "--yes"], registry_file, served)
    assert code == 0
    assert "nothing to delete" in err
