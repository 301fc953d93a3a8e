"""Deploys through the Deployer against moto + the Express Mode emulation, in process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from expressway.aws import session
from expressway.deploy.deployer import Deployer
from expressway.deploy.fleet import Operator
from expressway.deploy.target import Target
from expressway.errors import DeployError, ExpresswayError
from expressway.ops.destroy import destroy
from expressway.registry import Registry, parse
from expressway.testing import IMAGE, VERSION, FakeService, registry_text
from localcloud.emulation import configure, faults
from localcloud.emulation.testing import create_boundaries

Make = Callable[..., Deployer]
ARN = "arn:aws:ecs:eu-west-1:123456789012:service/homestack-prod/homestack-prod-{}"


def _describe(key: str) -> dict[str, Any]:
    found = boto3.client("ecs").describe_express_gateway_service(serviceArn=ARN.format(key))["service"]
    return dict(found)


def _config(key: str) -> dict[str, Any]:
    configs = _describe(key)["activeConfigurations"]
    newest: dict[str, Any] = max(configs, key=lambda c: c["createdAt"])
    return newest


def _env(key: str) -> dict[str, str]:
    return {e["name"]: e["value"] for e in _config(key)["primaryContainer"]["environment"]}


def test_first_deploy_creates_roles_table_log_group_and_the_service_as_requested(
    aws: None, reg: Registry, make_deployer: Make, web: FakeService
) -> None:
    outcome = make_deployer(reg).deploy("sensors")
    assert outcome.action == "create"
    roles = {r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"]}
    assert roles == {
        "homestack-prod-infrastructure",
        "homestack-prod-sensors-execution",
        "homestack-prod-sensors-task",
        # the service-linked roles Express relies on, made on the first deploy to a fresh account
        "AWSServiceRoleForECS",
        "AWSServiceRoleForElasticLoadBalancing",
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
    }
    tables = boto3.client("dynamodb").list_tables()["TableNames"]
    assert sorted(tables) == ["homestack-prod-readings", "homestack-prod-sensors"]
    groups = [g["logGroupName"] for g in boto3.client("logs").describe_log_groups()["logGroups"]]
    assert "/expressway/homestack/prod/sensors" in groups
    service, config = _describe("sensors"), _config("sensors")
    assert service["status"]["statusCode"] == "ACTIVE"
    assert (
        service["infrastructureRoleArn"]
        == "arn:aws:iam::123456789012:role/expressway-infrastructure/homestack/prod/"
        "homestack-prod-infrastructure"
    )
    assert (config["cpu"], config["memory"], config["healthCheckPath"]) == ("1024", "2048", "/health")
    assert config["primaryContainer"]["image"] == IMAGE
    assert config["primaryContainer"]["containerPort"] == 8000
    assert (
        config["taskRoleArn"]
        == "arn:aws:iam::123456789012:role/expressway/homestack/prod/homestack-prod-sensors-task"
    )
    env = _env("sensors")
    assert (env["APP_VERSION"], env["SENSOR_TABLE"]) == (VERSION, "homestack-prod-sensors")
    assert config["scalingTarget"] == {
        "minTaskCount": 1,
        "maxTaskCount": 4,
        "autoScalingMetric": "AVERAGE_CPU",
        "autoScalingTargetValue": 60,
    }
    assert outcome.url is not None
    assert web.urls == [f"{outcome.url}/health"]


def test_second_identical_deploy_changes_nothing_in_at_most_five_aws_calls(
    aws: None, reg: Registry, make_deployer: Make
) -> None:
    make_deployer(reg).deploy("sensors")
    revisions = len(_describe("sensors")["activeConfigurations"])
    session.calls.clear()
    said: list[str] = []
    outcome = make_deployer(reg, said).deploy("sensors")
    assert outcome.action == "no-change"
    assert session.call_count() <= 5, dict(session.calls)
    assert not any(
        op.startswith(("ecs:Create", "ecs:Update", "iam:", "dynamodb:", "logs:")) for op in session.calls
    )
    assert said[-1].startswith("sensors: up to date")
    assert len(_describe("sensors")["activeConfigurations"]) == revisions


def test_cpu_change_updates_the_service_in_place(aws: None, reg: Registry, make_deployer: Make) -> None:
    make_deployer(reg).deploy("sensors")
    bigger = parse(registry_text({"services": {"sensors": {"cpu": 2048, "memory": 4096}}}))
    plan = make_deployer(bigger).plan(["sensors"])
    assert [(c.field, c.before, c.after) for c in plan.steps[0].changes] == [
        ("cpu", 1024, 2048),
        ("memory", 2048, 4096),
    ]
    assert make_deployer(bigger).deploy("sensors").action == "update"
    assert (_config("sensors")["cpu"], _config("sensors")["memory"]) == ("2048", "4096")
    assert make_deployer(bigger).plan(["sensors"]).exit_code == 0


def test_a_renamed_projects_service_is_not_taken_for_ours_and_is_left_alone(
    aws: None, make_deployer: Make
) -> None:
    pinned = {"environments": {"prod": {"cluster": "homestack-prod"}}}
    make_deployer(parse(registry_text(pinned))).deploy("sensors")
    renamed = parse(registry_text({**pinned, "project": {"name": "homestack2"}}))
    create_boundaries(renamed)
    said: list[str] = []
    step = make_deployer(renamed, said).plan(["sensors"]).steps[0]
    assert step.action == "create"  # tags are all that could tell: never enough to adopt a service
    assert any(
        "cluster homestack-prod also holds homestack-prod-sensors, project homestack's sensors; it is not "
        "this project's and is left as it is" in line
        for line in said
    )
    before = _config("sensors")
    assert make_deployer(renamed).deploy("sensors").action == "create"
    services = boto3.client("ecs").list_services(cluster="homestack-prod")["serviceArns"]
    assert sorted(arn.rsplit("/", 1)[-1] for arn in services) == [
        "homestack-prod-sensors",
        "homestack2-prod-sensors",
    ]
    assert _config("sensors") == before  # the other project's service: not updated


def test_another_projects_service_in_a_shared_cluster_is_never_adopted_updated_or_deleted(
    aws: None, make_deployer: Make
) -> None:
    shared = {"environments": {"prod": {"cluster": "shared"}}}
    garden = parse(registry_text({**shared, "project": {"name": "garden"}}))
    create_boundaries(garden)
    make_deployer(garden).deploy("sensors")  # project garden's sensors, tagged as garden's
    garden_arn = "arn:aws:ecs:eu-west-1:123456789012:service/shared/garden-prod-sensors"
    ecs = boto3.client("ecs")
    garden_before = ecs.describe_express_gateway_service(serviceArn=garden_arn)["service"]

    ours = parse(registry_text(shared))
    plan = make_deployer(ours).plan(["sensors"])
    assert [(s.action, s.name) for s in plan.steps] == [("create", "homestack-prod-sensors")]
    assert make_deployer(ours).deploy("sensors").action == "create"
    bigger = parse(registry_text({**shared, "services": {"sensors": {"cpu": 2048, "memory": 4096}}}))
    assert make_deployer(bigger).deploy("sensors").action == "update"
    destroy(Target(ours, "prod"), "sensors", 60.0, lambda _: None, poll=0.0)

    garden_after = ecs.describe_express_gateway_service(serviceArn=garden_arn)["service"]
    assert garden_after["status"]["statusCode"] == "ACTIVE"
    assert garden_after["activeConfigurations"] == garden_before["activeConfigurations"]


def test_three_services_share_one_alb_and_dashboard_gets_the_sensors_url(
    aws: None, reg: Registry, make_deployer: Make
) -> None:
    results = Operator(make_deployer(reg)).deploy_many(["dashboard", "ingest", "sensors"], parallel=25)
    outcomes = {r.service: r for r in results}
    elb = boto3.client("elbv2")
    balancers = elb.describe_load_balancers()["LoadBalancers"]
    assert len(balancers) == 1
    listeners = elb.describe_listeners(LoadBalancerArn=balancers[0]["LoadBalancerArn"])["Listeners"]
    rules = [
        r for r in elb.describe_rules(ListenerArn=listeners[0]["ListenerArn"])["Rules"] if not r["IsDefault"]
    ]
    hosts = sorted(
        value
        for rule in rules
        for condition in rule["Conditions"]
        if condition["Field"] == "host-header"
        for value in condition.get("HostHeaderConfig", {}).get("Values") or condition.get("Values", [])
    )
    assert hosts == sorted(_config(key)["ingressPaths"][0]["endpoint"] for key in outcomes)
    assert _env("dashboard")["SENSORS_URL"] == outcomes["sensors"].url
    assert outcomes["sensors"].url == "https://" + _config("sensors")["ingressPaths"][0]["endpoint"]


def test_failing_deployment_raises_with_its_reason(aws: None, reg: Registry, make_deployer: Make) -> None:
    make_deployer(reg).deploy("sensors")
    faults.fail_next_deployment(
        "homestack-prod-sensors", reason="circuit breaker tripped: tasks failed health checks"
    )
    changed = parse(registry_text({"services": {"sensors": {"env": {"LOG_LEVEL": "debug"}}}}))
    with pytest.raises(DeployError) as caught:
        make_deployer(changed).deploy("sensors")
    message = str(caught.value)
    assert message.startswith("deploy sensors: deployment ROLLBACK_SUCCESSFUL: circuit breaker tripped")
    assert "last log lines:" in message
    assert _env("sensors")["LOG_LEVEL"] == "info"


def test_throttling_is_retried(aws: None, reg: Registry, make_deployer: Make) -> None:
    faults.throttle(times=2, operation="CreateExpressGatewayService")
    assert make_deployer(reg).deploy("sensors").action == "create"


def test_iam_propagation_errors_are_retried(aws: None, reg: Registry, make_deployer: Make) -> None:
    faults.iam_propagation(calls=2)
    said: list[str] = []
    assert make_deployer(reg, said).deploy("sensors").action == "create"
    assert any("IAM propagation" in line for line in said)


def test_every_failed_deploy_of_an_existing_service_carries_its_events_and_log_tail(
    aws: None, reg: Registry, make_deployer: Make, web: FakeService
) -> None:
    make_deployer(reg).deploy("sensors")
    web.status = 500  # the deployment succeeds; the health check fails
    with pytest.raises(DeployError) as verifying:
        make_deployer(reg).deploy("sensors")
    faults.iam_propagation(calls=3)  # the update call itself fails (no retry time left)
    changed = parse(registry_text({"services": {"sensors": {"env": {"LOG_LEVEL": "debug"}}}}))
    with pytest.raises(ExpresswayError) as updating:
        make_deployer(changed, propagation_timeout=0.0).deploy("sensors")
    for caught in (verifying, updating):
        message = str(caught.value)
        assert "\n  last log lines:\n" in message, message
        assert "\n  recent events:\n" in message
        assert "(service homestack-prod-sensors)" in message  # an ECS event line, not "(no events)"
    assert str(verifying.value).startswith("verify https://")
    assert "HTTP 500" in str(verifying.value).splitlines()[0]


def test_the_fargate_quota_warning_comes_before_the_first_change(
    aws: None, reg: Registry, make_deployer: Make
) -> None:
    configure(fargate_vcpus=6)
    said: list[str] = []
    make_deployer(reg, said).deploy("sensors")
    warning = next(i for i, line in enumerate(said) if "Fargate vCPUs" in line)
    # the first change this deploy makes: a service-linked role, the cluster, a role, a table
    first_change = next(i for i, line in enumerate(said) if "created" in line or ": creating " in line)
    assert said[first_change] == "created the service-linked role of ecs.amazonaws.com"
    assert warning < first_change, said


def test_deploy_interrupted_between_steps_converges_when_run_again(
    aws: None, reg: Registry, make_deployer: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    def killed(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:  # killed after roles, tables and logs, before the create
        patch.setattr(Deployer, "_apply", killed)
        with pytest.raises(KeyboardInterrupt):
            make_deployer(reg).deploy("sensors")
    with monkeypatch.context() as patch:  # killed right after the create, before waiting
        patch.setattr(Deployer, "_find_deployment", killed)
        with pytest.raises(KeyboardInterrupt):
            make_deployer(reg).deploy("sensors")
    said: list[str] = []
    assert make_deployer(reg, said).deploy("sensors").action == "no-change"
    assert any("SUCCESSFUL" in line for line in said)
    assert len(boto3.client("ecs").list_services(cluster="homestack-prod")["serviceArns"]) == 1
    roles = [r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"]]
    assert len(roles) == len(set(roles)) == 3 + 3  # ours, and the three service-linked roles


def test_wrong_version_at_the_health_url_fails_the_deploy(
    aws: None, reg: Registry, make_deployer: Make, web: FakeService
) -> None:
    web.version = "an-older-sha"
    with pytest.raises(
        DeployError, match=r"expected 200 with version 0123456789ab.*last answer: HTTP 200, version 'an-older"
    ):
        make_deployer(reg).deploy("sensors")


def test_opting_out_of_the_health_check_is_printed(
    aws: None, reg: Registry, make_deployer: Make, web: FakeService
) -> None:
    said: list[str] = []
    make_deployer(reg, said, verify=False).deploy("sensors")
    assert web.urls == []
    assert any("health check SKIPPED (--no-verify)" in line for line in said)


def test_a_full_alb_is_not_spilled_over_without_permission(
    aws: None, reg: Registry, make_deployer: Make
) -> None:
    configure(services_per_alb=2)
    results = Operator(make_deployer(reg, alb_places=2)).deploy_many(["sensors", "ingest"], parallel=25)
    assert all(r.ok for r in results)
    with pytest.raises(DeployError, match="2 Express services already fill the shared ALB") as caught:
        make_deployer(reg, alb_places=2).deploy("dashboard")
    assert caught.value.hint is not None
    assert "$" in caught.value.hint
    assert "--allow-new-alb" in caught.value.hint
    make_deployer(reg, alb_places=2, allow_new_alb=True).deploy("dashboard")
    assert len(boto3.client("elbv2").describe_load_balancers()["LoadBalancers"]) == 2


def test_a_fleet_that_could_outgrow_the_fargate_quota_is_warned_about(
    aws: None, reg: Registry, make_deployer: Make
) -> None:
    configure(fargate_vcpus=6)  # a new account's quota can be this low
    said: list[str] = []
    make_deployer(reg, said).deploy("sensors")
    [warning] = [line for line in said if "Fargate vCPUs" in line]
    assert "could run 14 Fargate vCPUs; the account's quota in eu-west-1 is 6" in warning
    configure(fargate_vcpus=100)
    quiet: list[str] = []
    make_deployer(reg, quiet).deploy("ingest")
    assert not any("Fargate vCPUs" in line for line in quiet)


def test_new_iam_roles_get_time_to_take_effect_before_the_create_that_uses_them(
    aws: None, reg: Registry, make_deployer: Make
) -> None:
    said: list[str] = []
    make_deployer(reg, said).deploy("sensors")
    waits = [i for i, line in enumerate(said) if "waiting 10s for new IAM roles and policies" in line]
    creating = next(i for i, line in enumerate(said) if "creating homestack-prod-sensors" in line)
    assert len(waits) == 1
    assert waits[0] < creating
    again: list[str] = []
    make_deployer(reg, again).deploy("sensors")  # nothing changed in IAM: no wait
    assert not any("waiting" in line for line in again)


def test_under_parallel_each_deploy_waits_for_its_own_new_roles_only(aws: None, make_deployer: Make) -> None:
    independent = {"dashboard": {"env": {"SENSORS_URL": "http://sensors.example"}}}
    make_deployer(parse(registry_text({"services": independent}))).deploy("sensors")
    # one wave: sensors updated (its roles as they were), dashboard created (new roles)
    changed = parse(registry_text({"services": {**independent, "sensors": {"cpu": 2048, "memory": 4096}}}))
    said: list[str] = []
    results = Operator(make_deployer(changed, said)).deploy_many(["sensors", "dashboard"], parallel=2)
    assert [(r.service, r.status) for r in results] == [("sensors", "deployed"), ("dashboard", "deployed")]
    waits = [line for line in said if "for new IAM roles and policies" in line]
    assert waits == ["dashboard: waiting 10s for new IAM roles and policies to take effect"]
    assert said.index(waits[0]) < said.index("dashboard: creating homestack-prod-dashboard")
