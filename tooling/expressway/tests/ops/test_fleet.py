"""deploy --all / --changed and plan --changed through the CLI, against moto + the Express emulation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expressway.aws import session
from expressway.cli import main
from expressway.console import Console
from expressway.deploy.deployer import Deployer
from expressway.deploy.fleet import Operator
from expressway.deploy.lock import DeployLock
from expressway.registry import Registry, load
from localcloud.emulation import faults

from .conftest import MakeDeployer
from .conftest import commit as _commit
from .conftest import git as _git
from .test_changed import _touch


class Cli:
    """Runs `expressway` on the copy's registry; every deploy stamps the copy's HEAD commit."""

    def __init__(self, root: Path, deployer_for: MakeDeployer, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.deployer_for, self.capsys = root, deployer_for, capsys

    def factory(self, args: object, reg: Registry, env: str, console: Console, *, root: Path) -> Deployer:
        return self.deployer_for(reg, version=_git(self.root, "rev-parse", "HEAD"), say=console.progress)

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(
            ["--registry", str(self.root / "services.toml"), *argv, "--env", "prod"], factory=self.factory
        )
        found = self.capsys.readouterr()
        return code, found.out, found.err


@pytest.fixture
def cli(aws: None, repo: Path, deployer_for: MakeDeployer, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(repo, deployer_for, capsys)


def _rows(out: str) -> dict[str, str]:
    """SERVICE -> RESULT from the summary table."""
    table = out.split("\n\n", 1)[0].splitlines()[1:]
    return {line.split()[0]: line.split()[1] for line in table}


def test_deploy_all_deploys_in_reference_order_and_prints_one_summary(cli: Cli) -> None:
    code, out, err = cli("deploy", "--all")
    assert code == 0, out + err
    assert _rows(out) == {"sensors": "deployed", "ingest": "deployed", "dashboard": "deployed"}
    assert out.splitlines()[0].split() == ["SERVICE", "RESULT", "VERSION", "TIME", "URL"]
    # dashboard needs the sensors URL, so it starts only after sensors has been deployed
    assert err.index("sensors: deployed") < err.index("dashboard: creating")


def test_deploy_all_reports_which_failed_and_why_and_skips_their_dependents(cli: Cli, repo: Path) -> None:
    assert cli("deploy", "--all")[0] == 0
    _touch(repo, "libs/common/src")
    _commit(repo, "common change")
    faults.fail_next_deployment("homestack-prod-sensors", reason="circuit breaker tripped")
    code, out, err = cli("deploy", "--all")
    assert code == 1
    assert _rows(out) == {"sensors": "failed", "ingest": "deployed", "dashboard": "skipped"}
    assert "sensors: failed: deploy sensors: deployment ROLLBACK_SUCCESSFUL: circuit breaker tripped" in out
    assert "dashboard: skipped: needs sensors, which failed" in out
    assert "error: deploy: 2 of 3 services did not deploy: sensors (failed), dashboard (skipped)" in err


def test_plan_changed_after_a_full_deploy_and_a_readme_change_finds_nothing(cli: Cli, repo: Path) -> None:
    assert cli("deploy", "--all")[0] == 0
    (repo / "README.md").write_text("# homestack\n\nmore words\n")
    _commit(repo, "docs")
    code, _, err = cli("plan", "--changed")
    assert code == 0
    assert "sensors    same     running " in err
    code, _, err = cli("deploy", "--changed")
    assert code == 0
    assert "nothing changed" in err


def test_deploy_changed_after_a_libs_change_redeploys_only_its_dependents(cli: Cli, repo: Path) -> None:
    assert cli("deploy", "--all")[0] == 0
    _touch(repo, "libs/sensordata/src")
    head = _commit(repo, "sensordata fix")
    code, out, err = cli("plan", "--changed")
    assert code == 2
    assert "dashboard  same" in err
    assert "ingest     changed  code changed since" in err
    assert "homestack-prod-dashboard" not in out
    assert out.splitlines()[-1] == "0 to create, 2 to update, 1 unchanged, 0 blocked"  # dashboard counted
    code, out, err = cli("plan", "--changed", "--json")
    assert code == 2
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    decisions = {d["service"]: d for d in events if d["event"] == "decision"}
    assert {k: d["changed"] for k, d in decisions.items()} == {
        "sensors": True,
        "ingest": True,
        "dashboard": False,
    }
    assert {s["service"] for s in json.loads(out)["steps"]} == {"sensors", "ingest"}
    code, out, err = cli("deploy", "--changed", "--json")
    assert code == 0, err
    document = json.loads(out)
    assert [(s["service"], s["status"], s["version"]) for s in document["services"]] == [
        ("sensors", "deployed", head),
        ("ingest", "deployed", head),
    ]


def test_a_service_whose_deploy_failed_stays_changed(
    cli: Cli, repo: Path, deployer_for: MakeDeployer
) -> None:
    assert cli("deploy", "--all")[0] == 0
    (repo / "services.toml").write_text(
        (repo / "services.toml").read_text().replace("cpu = 256\nmemory = 512", "cpu = 512\nmemory = 1024")
    )
    _commit(repo, "bigger dashboard")
    faults.fail_next_deployment("homestack-prod-dashboard", reason="tasks failed health checks")
    code, out, _ = cli("deploy", "--changed")
    assert code == 1
    assert _rows(out) == {"dashboard": "failed"}
    code, _, err = cli("plan", "--changed")
    assert code == 2
    assert "dashboard  changed  last deploy failed: deploy dashboard: deployment ROLLBACK_SUCCESSFUL" in err
    assert cli("deploy", "--changed")[0] == 0
    assert cli("plan", "--changed")[0] == 0


def test_deploy_with_a_held_lock_names_the_holder(cli: Cli, deployer_for: MakeDeployer, repo: Path) -> None:
    operator = Operator(deployer_for(load(repo / "services.toml")))
    operator.lock("sensors").acquire()
    code, out, err = cli("deploy", "sensors")
    assert code == 1
    assert out == ""
    assert "error: deploy sensors: locked: arn:aws:sts::123456789012:user/moto on " in err
    assert "hint: wait for that deploy, or pass --lock-wait SECONDS" in err


def test_deploy_json_that_fails_still_prints_one_document_with_the_error_and_each_outcome(
    cli: Cli, repo: Path
) -> None:
    assert cli("deploy", "--all")[0] == 0
    _touch(repo, "libs/common/src")
    _commit(repo, "common change")
    faults.fail_next_deployment("homestack-prod-sensors", reason="circuit breaker tripped")
    code, out, _ = cli("deploy", "--all", "--json")
    assert code == 1
    document = json.loads(out)  # exactly one JSON document: json.loads refuses anything more
    assert document["ok"] is False
    assert {s["service"]: s["status"] for s in document["services"]} == {
        "sensors": "failed",
        "ingest": "deployed",
        "dashboard": "skipped",
    }
    assert document["error"]["message"].startswith("deploy: 2 of 3 services did not deploy")


def test_deploy_json_of_a_locked_service_prints_the_error_as_json(
    cli: Cli, deployer_for: MakeDeployer, repo: Path
) -> None:
    operator = Operator(deployer_for(load(repo / "services.toml")))
    operator.lock("sensors").acquire()
    code, out, err = cli("deploy", "sensors", "--json")
    assert code == 1
    document = json.loads(out)
    assert document["ok"] is False
    assert document["services"][0]["status"] == "failed"
    assert "locked: arn:aws:sts::123456789012:user/moto on " in document["error"]["message"]
    assert "error: deploy sensors: locked:" in err


def test_destroy_takes_the_deploy_lock_and_names_the_deploy_that_holds_it(
    cli: Cli, deployer_for: MakeDeployer, repo: Path
) -> None:
    assert cli("deploy", "sensors")[0] == 0
    operator = Operator(deployer_for(load(repo / "services.toml")))
    deploying = operator.lock("sensors")
    deploying.acquire()
    code, _, err = cli("destroy", "sensors", "--yes")
    assert code == 1
    assert "error: destroy sensors: locked: arn:aws:sts::123456789012:user/moto on " in err
    assert " has been deploying it since " in err
    assert "hint: wait for that deploy, then destroy again" in err
    assert Operator(deployer_for(load(repo / "services.toml"))).deployer.observe("sensors") is not None
    deploying.release()

    destroying = DeployLock(operator.ledger, "sensors", "ana on ops-1 pid 7", action="destroy")
    destroying.acquire()
    code, _, err = cli("deploy", "sensors")
    assert code == 1
    assert "error: deploy sensors: locked: ana on ops-1 pid 7 has been destroying it since " in err
    destroying.release()
    code, _, err = cli("destroy", "sensors", "--yes")
    assert code == 0, err
    assert "is INACTIVE" in err
    assert operator.lock("sensors").holder() is None  # released after the deletion


def test_a_no_change_deploy_through_the_cli_makes_13_aws_calls(cli: Cli) -> None:
    assert cli("deploy", "sensors")[0] == 0
    session.calls.clear()
    code, _, err = cli("deploy", "sensors")
    assert code == 0
    assert "sensors: up to date: " in err
    looks = {  # what runs: who and where (once per run), the service, its last deployment
        "sts:GetCallerIdentity": 1,
        "ec2:DescribeVpcs": 1,
        "ec2:DescribeSubnets": 1,
        "ecs:DescribeExpressGatewayService": 1,
        "ecs:DescribeServiceDeployments": 1,
    }
    bookkeeping = {  # the deploy lock, the deploy record, the deployed image kept from ECR cleanup
        "dynamodb:DescribeTable": 1,
        "dynamodb:GetItem": 1,
        "dynamodb:PutItem": 3,
        "dynamodb:Query": 1,
        "dynamodb:DeleteItem": 1,
        "ecr:BatchGetImage": 1,
    }
    assert dict(session.calls) == {**looks, **bookkeeping}
    assert session.call_count() == 13
