"""Rendering plans and status for people (plain, colour on request) and machines (JSON)."""

from __future__ import annotations

import json

from expressway.plan.render import StatusRow, plan_json, plan_text, status_json, status_text
from expressway.plan.steps import Change, Plan, Step

PLAN = Plan(
    "prod",
    (
        Step(
            "sensors",
            "homestack-prod-sensors",
            "update",
            (
                Change("cpu", 1024, 2048),
                Change("environment.NEW", None, "1"),
                Change("environment.EXPRESSWAY_SUPPORT_DIGEST", "a", "b"),
            ),
        ),
        Step("ingest", "homestack-prod-ingest", "no-change"),
        Step(
            "dashboard",
            "homestack-prod-dashboard",
            "blocked",
            (Change("cluster", "a", "b"),),
            reason="cluster can only be set when the service is created",
            hint="destroy it",
        ),
    ),
)


def test_plan_text_lists_each_field_change_and_a_summary() -> None:
    assert plan_text(PLAN) == (
        "Plan for environment prod:\n"
        "~ sensors (homestack-prod-sensors): update\n"
        "    ~ cpu: 1024 -> 2048\n"
        '    + environment.NEW: "1"\n'
        "    ~ support: roles, policies, tables or log retention changed\n"
        "= ingest (homestack-prod-ingest): no change\n"
        "! dashboard (homestack-prod-dashboard): blocked\n"
        '    ~ cluster: "a" -> "b"\n'
        "    cluster can only be set when the service is created\n"
        "    hint: destroy it\n"
        "0 to create, 1 to update, 1 unchanged, 1 blocked\n"
    )


def test_plan_text_counts_services_left_out_as_unchanged() -> None:
    only = Plan("prod", (PLAN.steps[0],))
    assert (
        plan_text(only, also_unchanged=2).splitlines()[-1]
        == "0 to create, 1 to update, 2 unchanged, 0 blocked"
    )
    assert plan_text(only).splitlines()[-1] == "0 to create, 1 to update, 0 unchanged, 0 blocked"


def test_plan_text_has_no_escape_codes_unless_colour_is_enabled() -> None:
    assert "\033[" not in plan_text(PLAN)
    assert "\033[33m~ sensors" in plan_text(PLAN, color=True)


def test_plan_json_carries_actions_changes_and_exit_code() -> None:
    document = json.loads(plan_json(PLAN))
    assert document["exit_code"] == 1
    assert [s["action"] for s in document["steps"]] == ["update", "no-change", "blocked"]
    assert document["steps"][0]["changes"][0] == {"field": "cpu", "before": 1024, "after": 2048}


def test_status_table_marks_versions_behind_head_and_alb_places() -> None:
    rows = [
        StatusRow(
            "sensors",
            "homestack-prod-sensors",
            "ACTIVE",
            "https://se.on.aws",
            "abc",
            "abc",
            1,
            1,
            "SUCCESSFUL",
            "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/ecs-express-gateway-alb-1/f",
            3,
        ),
        StatusRow("ingest", "homestack-prod-ingest", "ACTIVE", version="old", head="abc"),
        StatusRow("dashboard", "homestack-prod-dashboard", "NOT DEPLOYED"),
    ]
    text = status_text("prod", rows)
    assert "ecs-express-gateway-alb-1 (3/25)" in text
    assert "old (HEAD abc)" in text
    assert text.splitlines()[1].split() == [
        "SERVICE",
        "STATE",
        "URL",
        "VERSION",
        "TASKS",
        "LAST",
        "DEPLOY",
        "ALB",
    ]
    assert json.loads(status_json("prod", rows))["services"][2]["state"] == "NOT DEPLOYED"
