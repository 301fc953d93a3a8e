"""`expressway cost`: figures checked against a hand-computed example, overrides, and the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from expressway.cli import main
from expressway.errors import ConfigError
from expressway.ops.cost import cost_text, estimate
from expressway.plan.pricing import prices_for
from expressway.registry import parse
from expressway.testing import registry_text

# Hand-computed for eu-west-1 (prices in docs/aws-facts.md, section 6), 730 h/month, 3 zones, public:
#   sensors   1 vCPU 2 GB x86:    (0.04048 + 2 x 0.004445) x 730 = 36.0401 per task, 1-4 tasks
#   ingest    0.5 vCPU 1 GB x86:  (0.02024 + 0.004445) x 730     = 18.02005 per task, 1-4 tasks
#   dashboard 0.25 vCPU 0.5 GB:   (0.01012 + 0.0022225) x 730    = 9.010025 per task, 1-4 tasks
#   public IPv4: 0.005 x 730 = 3.65 per task; ALB: 0.0252 x 730 = 18.396 + 3 zones x 3.65 = 29.346
#   shared: 1 ALB = 29.346 (9.782 each); dedicated: 3 x 29.346 = 88.038; saving 58.692
#   min total: 63.070175 fargate + 3 x 3.65 ipv4 + 29.346 = 103.366175
#   max total: 4 x 63.070175 = 252.2807 fargate + 12 x 3.65 = 43.8 ipv4 + 29.346 = 325.4267


def test_estimate_matches_the_hand_computed_example() -> None:
    cost = estimate(parse(registry_text()), "prod", prices_for("eu-west-1"))
    rows = {r.service: r for r in cost.services}
    assert rows["sensors"].task_month == pytest.approx(36.0401)
    assert rows["ingest"].task_month == pytest.approx(18.02005)
    assert rows["dashboard"].task_month == pytest.approx(9.010025)
    assert rows["sensors"].fargate_max == pytest.approx(144.1604)
    assert rows["sensors"].ipv4_max == pytest.approx(14.6)
    assert rows["dashboard"].alb_share == pytest.approx(9.782)
    assert cost.albs == 1
    assert cost.alb_month == pytest.approx(29.346)
    assert cost.dedicated_albs_month == pytest.approx(88.038)
    assert cost.saving == pytest.approx(58.692)
    assert cost.total_min == pytest.approx(103.366175)
    assert cost.total_max == pytest.approx(325.4267)


def test_arm_tasks_use_the_arm_prices_and_private_access_has_no_public_addresses() -> None:
    changes = {
        "environments": {"prod": {"access": "private", "subnets": ["subnet-0a", "subnet-0b"]}},
        "services": {"dashboard": {"architecture": "arm64"}},
    }
    cost = estimate(parse(registry_text(changes)), "prod", prices_for("eu-west-1"))
    dashboard = next(r for r in cost.services if r.service == "dashboard")
    # (0.25 x 0.03238 + 0.5 x 0.00356) x 730 = (0.008095 + 0.00178) x 730 = 7.20875
    assert dashboard.task_month == pytest.approx(7.20875)
    assert dashboard.ipv4_max == 0
    assert cost.zones == 2
    assert cost.alb_month == pytest.approx(18.396)


def test_more_than_25_services_need_a_second_alb() -> None:
    services = {
        f"svc{i}": {"path": f"services/svc{i}", "app": f"homestack_svc{i}.app:app"} for i in range(26)
    }
    reg = parse(registry_text({"services": services}))
    cost = estimate(reg, "prod", prices_for("us-east-1"))
    assert cost.albs == 2
    assert cost.saving == pytest.approx((29 - 2) * cost.alb_month)


def test_a_prices_file_overrides_single_figures_and_is_named_as_the_source(tmp_path: Path) -> None:
    override = tmp_path / "prices.toml"
    override.write_text('[prices]\nalb_hour = 0.03\ndate = "2027-01"\n')
    prices = prices_for("eu-west-1", override)
    assert prices.alb_hour == 0.03
    assert prices.vcpu_hour_x86 == 0.04048
    assert prices.date == "2027-01"
    assert str(override) in prices.source


def test_unknown_region_needs_every_price_and_says_which(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no built-in prices for region ap-south-1: missing alb_hour"):
        prices_for("ap-south-1")
    bad = tmp_path / "prices.toml"
    bad.write_text("[prices]\nalb_hour = 'cheap'\nlcu = 1\n")
    with pytest.raises(ConfigError) as caught:
        prices_for("eu-west-1", bad)
    assert "prices.alb_hour: 'cheap' is not valid" in str(caught.value)
    assert "prices.lcu: unknown key" in str(caught.value)


def test_text_table_shows_ranges_totals_saving_and_price_source() -> None:
    text = cost_text(estimate(parse(registry_text()), "prod", prices_for("eu-west-1")))
    assert re.search(r"^sensors +1 vCPU 2 GB x86 +1-4 ", text, re.MULTILINE)
    assert "$36.04-$144.16" in text
    assert re.search(r"^total .*\$103.37-\$325.43$", text, re.MULTILINE)
    assert "sharing saves $58.69/mo" in text
    assert "prices: eu-west-1, 2026-11" in text


def test_cli_cost_json_through_the_registry_file(
    registry_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--registry", str(registry_file), "cost", "--env", "prod", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["total_min"] == 103.37
    assert document["saving"] == 58.69
    assert [s["service"] for s in document["services"]] == ["sensors", "ingest", "dashboard"]


def test_cli_cost_with_a_bad_prices_file_fails_with_the_reason(
    registry_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.toml"
    assert main(["--registry", str(registry_file), "cost", "--prices", str(missing)]) == 1
    assert f"error: cannot read prices file {missing}" in capsys.readouterr().err
