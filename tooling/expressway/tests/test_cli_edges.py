"""Command lines at the edges, through the CLI: numbers out of range are refused with a clear error,
`plan --allow-new-alb` plans what `deploy --allow-new-alb` would do, and credential errors of `logs`
and `history` name the environment."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

import httpx
import pytest

from expressway.cli import main
from expressway.cli.wiring import make_deployer
from expressway.console import Console
from expressway.deploy.deployer import Deployer, Options
from expressway.deploy.waiting import Clock, HttpProber
from expressway.errors import UsageError
from expressway.ops.cost import estimate
from expressway.plan.pricing import prices_for
from expressway.registry import Registry
from expressway.testing import IMAGE, FakeService
from localcloud.emulation import configure

FAST = Clock(sleep=lambda _: None)


def _cli(argv: list[str], registry: Path, alb_places: int | None = None) -> tuple[int, str, str]:
    def factory(verb: Any, reg: Registry, env: str, console: Console, *, root: Path) -> Deployer:
        prober = HttpProber(httpx.MockTransport(FakeService()), poll=0.0, clock=FAST)
        options = Options(poll=0.0, clock=FAST, verify_timeout=0.0)
        if alb_places is not None:
            options = dataclasses.replace(options, alb_places=alb_places)
        return make_deployer(verb, reg, env, console, prober=prober, options=options, root=root)

    out, err = io.StringIO(), io.StringIO()
    code = main(["--registry", str(registry), *argv], Console(out, err), factory)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("since", ["99999999999d", "999999999d", "99999999999999999999s"])
def test_logs_since_further_back_than_the_calendar_is_a_usage_error(registry_file: Path, since: str) -> None:
    code, out, err = _cli(["logs", "ingest", "--env", "prod", "--since", since], registry_file)

    assert code == 1
    assert f"error: --since {since}: reaches back before the year 1, further than any log" in err
    assert "hint: use a shorter duration" in err
    assert "Traceback" not in err
    assert out == ""


@pytest.mark.parametrize(
    ("zones", "why"),
    [
        ("-3", "-3 is not a number of zones"),
        ("0", "0 is not a number of zones"),
        ("two", "'two' is not a whole number"),
    ],
)
def test_cost_refuses_a_zone_count_below_one(registry_file: Path, zones: str, why: str) -> None:
    code, out, err = _cli(["cost", "--env", "prod", "--zones", zones], registry_file)

    assert code == 1
    assert f"error: expressway cost: argument --zones: {why}" in err
    assert out == ""


def test_cost_estimate_refuses_zero_zones_through_the_library(reg: Registry) -> None:
    with pytest.raises(UsageError, match="an ALB spans at least 1 zone"):
        estimate(reg, "prod", prices_for("eu-west-1", None), zones=0)


def test_cost_with_one_zone_is_accepted(registry_file: Path) -> None:
    code, out, _ = _cli(["cost", "--env", "prod", "--zones", "1"], registry_file)

    assert code == 0
    assert out


def test_plan_allow_new_alb_plans_the_create_that_plan_alone_blocks(aws: None, registry_file: Path) -> None:
    configure(services_per_alb=2)
    argv = ["plan", "--all", "--env", "prod", "--image", IMAGE]

    code, out, _ = _cli(argv, registry_file, alb_places=2)
    assert code == 1  # blocked: the hint names --allow-new-alb
    assert "pass --allow-new-alb to accept" in out

    code, out, _ = _cli([*argv, "--allow-new-alb"], registry_file, alb_places=2)
    assert code == 2  # changes, none blocked
    assert "3 after this plan (2 ALBs)" in out
    assert ", 0 blocked" in out


@pytest.fixture
def no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty"
    empty.write_text("")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    from expressway.aws import session

    session.reset()


@pytest.mark.usefixtures("no_credentials")
@pytest.mark.parametrize("verb", ["logs", "history"])
def test_logs_and_history_without_credentials_name_the_environment(registry_file: Path, verb: str) -> None:
    code, _, err = _cli([verb, "ingest", "--env", "prod"], registry_file)

    assert code == 1
    assert err.startswith("error: environment prod: ")
    assert "no AWS credentials found" in err
    assert "hint: set AWS_PROFILE" in err
