"""Deploy records are written when a deploy starts and settled when it ends; a deploy that never ends
(killed right after its update call) is kept, settled by the next deploy from what runs."""

from __future__ import annotations

import json
import time
from typing import Any

import botocore.exceptions
import pytest

from expressway.aws import session
from expressway.deploy.fleet import Operator
from expressway.deploy.history import history_json, history_text
from expressway.images.source import GivenImages
from expressway.registry import Registry, parse
from expressway.testing import IMAGE, registry_text

from .conftest import V1, V2, MakeDeployer


class Killed(BaseException):
    """The deploying process dies here: no except clause catches it, no record is settled."""


def _kill(reg: Registry, event: str) -> None:
    def die(**_: Any) -> None:
        raise Killed(event)

    session.client(reg.environment("prod"), "ecs").meta.events.register(event, die)


@pytest.fixture
def debug() -> Registry:
    return parse(registry_text({"services": {"sensors": {"env": {"LOG_LEVEL": "debug"}}}}))


def test_a_running_deploy_shows_in_progress_and_its_record_is_settled_when_it_ends(
    aws: None, reg: Registry, deployer_for: MakeDeployer
) -> None:
    operator = Operator(deployer_for(reg, version=V1))
    seen: list[tuple[str, str]] = []

    def watch(**_: Any) -> None:  # during the create call: the deploy holds its lock
        newest = operator.history.records("sensors")[0]
        seen.append((newest.outcome, newest.reason))

    session.client(reg.environment("prod"), "ecs").meta.events.register(
        "before-call.ecs.CreateExpressGatewayService", watch
    )
    assert operator.deploy("sensors").status == "deployed"
    assert seen == [("started", "in progress: it holds the deploy lock")]
    (record,) = operator.history.records("sensors")
    assert (record.outcome, record.reason) == ("succeeded", "create")
    assert record.ended is not None
    assert record.at < record.ended


def test_a_deploy_killed_after_its_update_is_kept_and_settled_as_gone_out_by_the_next(
    aws: None, reg: Registry, debug: Registry, deployer_for: MakeDeployer
) -> None:
    assert Operator(deployer_for(reg, version=V1)).deploy("sensors").ok
    _kill(reg, "after-call.ecs.UpdateExpressGatewayService")
    with pytest.raises(Killed):
        Operator(deployer_for(debug, version=V2)).deploy("sensors")
    session.reset()  # the next process: fresh clients, no kill armed
    history = Operator(deployer_for(debug, version=V2)).history
    unsettled = history.records("sensors")[0]
    assert (unsettled.outcome, unsettled.version) == ("started", V2)
    assert unsettled.reason == (
        "did not finish (killed, or it lost its lock); the next deploy of sensors settles it from what runs"
    )
    assert history.last_failure("sensors") == f"last deploy did not finish: {unsettled.reason}"
    said: list[str] = []
    result = Operator(deployer_for(debug, version=V2, said=said)).deploy("sensors")
    assert result.status == "no-change", result.detail  # the killed deploy's change is what runs
    records = history.records("sensors")
    assert [(r.outcome, r.version, r.reason) for r in records] == [
        ("succeeded", V2, "no-change"),
        (
            "interrupted",
            V2,
            "the deploy stopped before it finished (its process ended or it lost its lock); "
            "its change went out: the service runs exactly this configuration",
        ),
        ("succeeded", V1, "create"),
    ]
    assert records[1].at == unsettled.at  # when it went out, not when it was settled
    assert f"sensors: the deploy of {V2[:12]} started {unsettled.at}: the deploy stopped" in "\n".join(said)
    text = history_text(records)
    assert "interrupted  deploy" in text
    assert "interrupted: the deploy stopped before it finished" in text
    document = json.loads(history_json("sensors", "prod", records))
    assert document["deploys"][1]["ended"] is not None
    assert history.last_failure("sensors") is None


def test_a_deploy_killed_before_its_update_is_settled_as_not_what_runs(
    aws: None, reg: Registry, debug: Registry, deployer_for: MakeDeployer
) -> None:
    assert Operator(deployer_for(reg, version=V1)).deploy("sensors").ok
    _kill(reg, "before-call.ecs.UpdateExpressGatewayService")
    with pytest.raises(Killed):
        Operator(deployer_for(debug, version=V2)).deploy("sensors")
    session.reset()
    result = Operator(deployer_for(debug, version=V2)).deploy("sensors")
    assert result.status == "deployed", result.detail  # nothing went out: this deploy updates
    records = Operator(deployer_for(debug)).history.records("sensors")
    assert [(r.outcome, r.reason.rsplit("; ", 1)[-1]) for r in records] == [
        ("succeeded", "update"),
        ("interrupted", "its change is not what runs now"),
        ("succeeded", "create"),
    ]


class CutOff(GivenImages):
    """Images that take a while, and from the moment they are asked for, the operations table
    refuses every lock write (renewals), as a network partition would."""

    def __init__(self, reg: Registry) -> None:
        super().__init__(IMAGE)
        self.reg = reg

    def image(self, service: str) -> str:
        def refuse(params: dict[str, Any], **_: Any) -> None:
            if params.get("Item", {}).get("pk", {}).get("S", "").startswith("lock#"):
                raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://dynamodb.eu-west-1")

        dynamodb = session.client(self.reg.environment("prod"), "dynamodb")
        dynamodb.meta.events.register("before-parameter-build.dynamodb.PutItem", refuse)
        time.sleep(0.6)  # past the trusted share of a 0.6 s lease
        return super().image(service)


def test_a_deploy_that_lost_its_lock_stops_before_any_change_and_is_settled_failed(
    aws: None, reg: Registry, debug: Registry, deployer_for: MakeDeployer
) -> None:
    assert Operator(deployer_for(reg, version=V1)).deploy("sensors").ok
    operator = Operator(deployer_for(debug, version=V2, images=CutOff(debug)), lease=0.6)
    session.calls.clear()
    result = operator.deploy("sensors")
    assert result.status == "failed"
    assert result.detail.startswith("deploy sensors: lost the deploy lock: ")
    changes = [op for op in session.calls if op.startswith(("ecs.Update", "ecs.Create", "iam.", "logs."))]
    assert changes == []
    newest = operator.history.records("sensors")[0]
    assert newest.outcome == "failed"
    assert newest.reason.startswith("deploy sensors: lost the deploy lock")


def test_history_tells_images_apart_and_marks_a_deploy_that_changed_nothing(
    aws: None, reg: Registry, deployer_for: MakeDeployer
) -> None:
    # Two images whose digests share their first 12 hex digits: 12 would show them as one.
    common = "0123456789ab"
    one = f"{IMAGE.split('@')[0]}@sha256:{common}{'1' * 52}"
    two = f"{IMAGE.split('@')[0]}@sha256:{common}{'2' * 52}"
    operator = Operator(deployer_for(reg, version=V1, image=one))
    assert operator.deploy("sensors").ok
    assert operator.deploy("sensors").ok  # the same again: up to date
    assert Operator(deployer_for(reg, version=f"{V2}-dirty", image=two)).deploy("sensors").ok

    text = history_text(operator.history.records("sensors"))
    rows = text.splitlines()[1:4]

    assert f"sha256:{common}2222" in rows[0]
    assert f"sha256:{common}1111" in rows[1]
    assert "deploy, no change" in rows[1]
    assert "deploy, no change" not in rows[2]
    assert f"{V2[:12]}-dirty" in rows[0]
