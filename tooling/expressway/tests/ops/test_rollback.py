"""Deploy records and rollback: exact digest and config, no rebuild, surviving ECR lifecycle cleanup."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from expressway.cli import main
from expressway.console import Console
from expressway.deploy.deployer import Deployer
from expressway.deploy.fleet import Operator, Result
from expressway.deploy.history import History
from expressway.deploy.rollback import rollback
from expressway.deploy.target import Target
from expressway.errors import DeployError, UsageError
from expressway.ops.destroy import destroy
from expressway.registry import Registry, parse
from expressway.testing import registry_text

from .conftest import FAST, V1, V2, MakeDeployer, image_tags, lifecycle_cleanup, push_image

ARN = "arn:aws:ecs:eu-west-1:123456789012:service/homestack-prod/homestack-prod-sensors"
REPO = "homestack/sensors"


def _live() -> tuple[str, dict[str, str]]:
    service: Any = boto3.client("ecs").describe_express_gateway_service(serviceArn=ARN)["service"]
    config = max(service["activeConfigurations"], key=lambda c: c["createdAt"])
    env = {e["name"]: e["value"] for e in config["primaryContainer"]["environment"]}
    return config["primaryContainer"]["image"], env


def _deploy(deployer: Deployer, key: str = "sensors") -> Result:
    result = Operator(deployer).deploy(key)
    assert result.ok, result.detail
    return result


@pytest.fixture
def two_versions(aws: None, reg: Registry, deployer_for: MakeDeployer) -> tuple[str, str]:
    """sensors deployed at V1 (image one, LOG_LEVEL info), then at V2 (image two, LOG_LEVEL debug)."""
    one, two = push_image(REPO, V1[:12]), push_image(REPO, V2[:12])
    _deploy(deployer_for(reg, version=V1, image=one))
    debug = parse(registry_text({"services": {"sensors": {"env": {"LOG_LEVEL": "debug"}}}}))
    _deploy(deployer_for(debug, version=V2, image=two))
    return one, two


def test_every_deploy_is_recorded_with_identity_version_digest_and_config(
    two_versions: tuple[str, str], reg: Registry, deployer_for: MakeDeployer
) -> None:
    operator = Operator(deployer_for(reg))
    records = History(operator.ledger, "prod").records("sensors")
    assert [(r.version, r.outcome, r.kind) for r in records] == [
        (V2, "succeeded", "deploy"),
        (V1, "succeeded", "deploy"),
    ]
    assert records[0].who == "arn:aws:sts::123456789012:user/moto"
    assert records[1].image == two_versions[0]
    assert records[1].digest == two_versions[0].split("@")[1]
    request = json.loads(records[1].spec)["request"]
    assert {"name": "LOG_LEVEL", "value": "info"} in request["primaryContainer"]["environment"]


def test_deployed_images_carry_a_protecting_tag(two_versions: tuple[str, str]) -> None:
    tags = image_tags(REPO)
    assert tags[two_versions[0].split("@")[1]] == sorted([V1[:12], f"deployed-prod-{V1}"])
    assert tags[two_versions[1].split("@")[1]] == sorted([V2[:12], f"deployed-prod-{V2}"])


def test_rollback_after_lifecycle_cleanup_redeploys_the_exact_previous_digest_and_config(
    two_versions: tuple[str, str], reg: Registry, deployer_for: MakeDeployer
) -> None:
    # A lifecycle run that keeps only `deployed-` tagged images (the policy the images helper sets).
    stray = push_image(REPO, "feature-branch")
    removed = lifecycle_cleanup(REPO, keep=lambda tags: any(t.startswith("deployed-") for t in tags))
    assert removed == [stray.split("@")[1]]
    said: list[str] = []
    result = rollback(deployer_for(reg, version=V2, said=said), "sensors", None)
    assert result.status == "deployed", result.detail
    image, env = _live()
    assert image == two_versions[0]
    assert (env["APP_VERSION"], env["LOG_LEVEL"]) == (V1, "info")
    assert any(line.startswith(f"sensors: rolling back to {V1[:12]} (sha256:") for line in said)
    history = Operator(deployer_for(reg)).history.records("sensors")
    assert (history[0].kind, history[0].version, history[0].image) == ("rollback", V1, two_versions[0])


def test_rollback_to_a_named_version_and_to_nothing_recorded(
    two_versions: tuple[str, str], reg: Registry, deployer_for: MakeDeployer
) -> None:
    with pytest.raises(UsageError, match="no successful deploy of 3333 recorded") as caught:
        rollback(deployer_for(reg), "sensors", "3333")
    assert caught.value.hint is not None
    assert V2[:12] in caught.value.hint
    assert rollback(deployer_for(reg), "sensors", V1[:7]).ok
    assert _live()[1]["APP_VERSION"] == V1
    assert rollback(deployer_for(reg), "sensors", None).ok  # back to V2: the newest not running
    assert _live()[1]["APP_VERSION"] == V2


def test_rollback_refuses_an_image_that_is_gone(
    two_versions: tuple[str, str], reg: Registry, deployer_for: MakeDeployer
) -> None:
    lifecycle_cleanup(REPO, keep=lambda tags: V2[:12] in tags)  # a policy that ignored the protection
    with pytest.raises(DeployError, match=f"rollback sensors: the image of {V1[:12]} is gone"):
        rollback(deployer_for(reg), "sensors", None)
    assert _live()[1]["APP_VERSION"] == V2


def test_history_and_rollback_through_the_cli(
    two_versions: tuple[str, str],
    tmp_path: Path,
    deployer_for: MakeDeployer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "services.toml"
    path.write_text(registry_text())
    assert main(["--registry", str(path), "history", "sensors", "--env", "prod", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [d["version"] for d in document["deploys"]] == [V2, V1]

    def factory(args: object, reg: Registry, env: str, console: Console, *, root: Path) -> Deployer:
        return deployer_for(reg, version=V2)

    assert main(["--registry", str(path), "rollback", "sensors", "--env", "prod"], factory=factory) == 0
    assert "sensors  deployed" in capsys.readouterr().out
    assert main(["--registry", str(path), "history", "sensors", "--env", "prod"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].split() == ["WHEN", "OUTCOME", "KIND", "VERSION", "DIGEST", "WHO"]
    assert "succeeded  rollback  111111111111" in text


def test_destroy_is_recorded_and_is_no_rollback_target(
    two_versions: tuple[str, str], reg: Registry, deployer_for: MakeDeployer
) -> None:
    said: list[str] = []
    target = Target(reg, "prod")
    destroy(target, "sensors", 60.0, said.append, poll=0.0, clock=FAST)
    history = History(Operator(deployer_for(reg)).ledger, "prod")
    newest = history.records("sensors")[0]
    assert (newest.kind, newest.outcome, newest.version, newest.image) == (
        "destroy",
        "succeeded",
        V2,
        two_versions[1],
    )
    assert newest.reason == "deleted homestack-prod-sensors"
    assert newest.who == "arn:aws:sts::123456789012:user/moto"
    assert history.last_failure("sensors") is None
    # the deletion names V2 too, but only a deploy of V2 is something to roll back to
    assert rollback(deployer_for(reg), "sensors", V2[:7]).ok
    assert _live()[1]["APP_VERSION"] == V2
    destroy(target, "ingest", 60.0, said.append, poll=0.0, clock=FAST)  # never deployed: nothing recorded
    assert history.records("ingest") == []
    assert "ingest: homestack-prod-ingest is not deployed in prod; nothing to delete" in said


def test_a_destroy_that_times_out_is_recorded_as_failed(
    two_versions: tuple[str, str], reg: Registry, deployer_for: MakeDeployer
) -> None:
    target = Target(reg, "prod")
    with pytest.raises(DeployError, match="destroy sensors: still DRAINING after 0s"):
        destroy(target, "sensors", 0.0, lambda _: None, poll=0.0, clock=FAST)
    newest = History(Operator(deployer_for(reg)).ledger, "prod").records("sensors")[0]
    assert (newest.kind, newest.outcome, newest.reason) == (
        "destroy",
        "failed",
        "destroy sensors: still DRAINING after 0s",
    )
