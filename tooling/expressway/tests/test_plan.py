"""The pure planner: desired request versus hand-written Describe output -> steps and exit codes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from expressway.errors import UsageError
from expressway.plan.desired import Facts, spec, update_request
from expressway.plan.live import LiveService
from expressway.plan.steps import Plan, Step, plan_service
from expressway.registry import parse
from expressway.testing import registry_text

FACTS = Facts(account="123456789012", region="eu-west-1", subnets=("subnet-a", "subnet-b"), version="abc123")
SERVICE_ARN = "arn:aws:ecs:eu-west-1:123456789012:service/homestack-prod"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/homestack-sensors@sha256:" + "0" * 64


def desired(changes: dict[str, Any] | None = None, key: str = "sensors") -> dict[str, Any]:
    reg = parse(registry_text(changes))
    urls = {"sensors": "https://se-1.ecs.eu-west-1.on.aws"}
    return spec(reg, "prod", key, FACTS, IMAGE, urls).request


def live(observed: dict[str, Any] | None) -> LiveService | None:
    return None if observed is None else LiveService.from_describe(observed)


def observed_from(request: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """What DescribeExpressGatewayService reports for a service created with `request`."""
    config = {
        k: copy.deepcopy(v)
        for k, v in request.items()
        if k not in ("serviceName", "cluster", "infrastructureRoleArn", "tags")
    }
    # The API reorders environment variables and adds its own security group.
    config["primaryContainer"]["environment"].reverse()
    config["networkConfiguration"]["securityGroups"] = ["sg-managed"]
    config["serviceRevisionArn"] = "arn:aws:ecs:eu-west-1:123456789012:service-revision/x/1"
    config["createdAt"] = "2026-11-26T10:00:00+00:00"
    return {
        "serviceName": request["serviceName"],
        "serviceArn": f"{SERVICE_ARN}/{request['serviceName']}",
        "cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/homestack-prod",
        "infrastructureRoleArn": request["infrastructureRoleArn"],
        "status": {"statusCode": "ACTIVE"},
        "activeConfigurations": [config],
        **extra,
    }


def test_absent_service_is_created_with_every_field_shown() -> None:
    step = plan_service("sensors", desired(), None)
    assert step.action == "create"
    fields = {c.field: c.after for c in step.changes}
    assert fields["cpu"] == 1024
    assert fields["image"] == IMAGE
    assert fields["environment.SENSOR_TABLE"] == "homestack-prod-sensors"


def test_identical_service_is_no_change_despite_reordered_env_and_managed_security_group() -> None:
    request = desired()
    assert plan_service("sensors", request, live(observed_from(request))).action == "no-change"


def test_server_side_defaults_are_not_reported_as_changes() -> None:
    request = desired()
    observed = observed_from(request)
    config = observed["activeConfigurations"][0]
    del config["cpuArchitecture"]
    config["cpu"] = "1 vCPU"
    config["memory"] = "2 GB"
    assert plan_service("sensors", request, live(observed)).action == "no-change"


def test_cpu_change_is_an_update_with_a_field_diff() -> None:
    before = desired()
    after = desired({"services": {"sensors": {"cpu": 2048, "memory": 4096}}})
    step = plan_service("sensors", after, live(observed_from(before)))
    assert step.action == "update"
    assert {(c.field, c.before, c.after) for c in step.changes} == {
        ("cpu", 1024, 2048),
        ("memory", 2048, 4096),
    }


def test_env_compared_as_a_map_reports_added_changed_and_removed_variables() -> None:
    before = desired()
    after = desired({"services": {"sensors": {"env": {"LOG_LEVEL": "debug", "NEW": "1"}}}})
    observed = observed_from(before)
    observed["activeConfigurations"][0]["primaryContainer"]["environment"].append(
        {"name": "OLD", "value": "x"}
    )
    changes = {c.field: (c.before, c.after) for c in plan_service("sensors", after, live(observed)).changes}
    assert changes == {
        "environment.LOG_LEVEL": ("info", "debug"),
        "environment.NEW": (None, "1"),
        "environment.OLD": ("x", None),
    }


def test_table_access_change_shows_as_a_support_change() -> None:
    before = desired()
    after = desired({"services": {"sensors": {"tables": {"sensors": "write"}}}})
    step = plan_service("sensors", after, live(observed_from(before)))
    assert [c.field for c in step.changes] == ["environment.EXPRESSWAY_SUPPORT_DIGEST"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("serviceName", "homestack-prod-sensors-old"),
        ("cluster", "arn:aws:ecs:eu-west-1:123456789012:cluster/other"),
        ("infrastructureRoleArn", "arn:aws:iam::123456789012:role/other"),
        ("tags", [{"key": "expressway:service", "value": "other"}]),
    ],
)
def test_create_only_field_change_is_blocked_with_a_hint(field: str, value: Any) -> None:
    request = desired()
    step = plan_service("sensors", request, live(observed_from(request, **{field: value})))
    assert step.action == "blocked"
    assert step.reason == f"{field} can only be set when the service is created"
    assert step.hint is not None
    assert "expressway destroy sensors" in step.hint


def test_draining_service_is_blocked_and_inactive_is_created_again() -> None:
    request = desired()
    draining = observed_from(request, status={"statusCode": "DRAINING"})
    inactive = observed_from(request, status={"statusCode": "INACTIVE"})
    assert plan_service("sensors", request, live(draining)).action == "blocked"
    assert plan_service("sensors", request, live(inactive)).action == "create"


def test_newest_active_configuration_is_compared_during_a_deployment() -> None:
    old, new = desired(), desired({"services": {"sensors": {"cpu": 2048, "memory": 4096}}})
    observed = observed_from(new)
    stale = observed_from(old)["activeConfigurations"][0]
    stale["createdAt"] = "2026-11-26T09:00:00+00:00"
    observed["activeConfigurations"].insert(0, stale)
    assert plan_service("sensors", new, live(observed)).action == "no-change"


@pytest.mark.parametrize(
    ("actions", "code"),
    [
        ((), 0),
        (("no-change",), 0),
        (("no-change", "update"), 2),
        (("create",), 2),
        (("create", "blocked"), 1),
    ],
)
def test_plan_exit_code_is_0_unchanged_2_changes_1_blocked(actions: tuple[Any, ...], code: int) -> None:
    plan = Plan("prod", tuple(Step(f"s{i}", f"n{i}", a) for i, a in enumerate(actions)))
    assert plan.exit_code == code


def test_update_request_carries_full_config_but_no_create_only_field() -> None:
    body = update_request(desired(), "arn:svc")
    assert body["serviceArn"] == "arn:svc"
    assert not {"serviceName", "cluster", "infrastructureRoleArn", "tags"} & set(body)
    assert body["cpu"] == "1024"
    assert body["primaryContainer"]["image"] == IMAGE


def test_dashboard_gets_the_live_sensors_url_and_app_version() -> None:
    request = desired(key="dashboard")
    env = {e["name"]: e["value"] for e in request["primaryContainer"]["environment"]}
    assert env["SENSORS_URL"] == "https://se-1.ecs.eu-west-1.on.aws"
    assert env["APP_VERSION"] == "abc123"


def test_dependency_not_deployed_is_an_error_naming_what_to_deploy_first() -> None:
    reg = parse(registry_text())
    with pytest.raises(UsageError, match="needs the URL of sensors, not deployed in prod") as caught:
        spec(reg, "prod", "dashboard", FACTS, IMAGE, {})
    assert caught.value.hint is not None
    assert "expressway deploy sensors" in caught.value.hint
    placeholder = spec(reg, "prod", "dashboard", FACTS, IMAGE, {}, placeholders=True)
    env = {e["name"]: e["value"] for e in placeholder.request["primaryContainer"]["environment"]}
    assert env["SENSORS_URL"] == "<url of sensors after deploy>"


def test_secrets_become_parameter_arns_and_never_plain_env() -> None:
    request = desired(key="ingest")
    container = request["primaryContainer"]
    assert container["secrets"] == [
        {
            "name": "INGEST_API_KEY",
            "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/homestack/ingest/api-key",
        }
    ]
    assert "INGEST_API_KEY" not in {e["name"] for e in container["environment"]}
