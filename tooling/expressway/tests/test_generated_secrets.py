"""Secrets expressway generates: created once with a random value when missing, never printed,
planned, recorded or logged; only an SSM parameter the service declares can be generated."""

from __future__ import annotations

from collections.abc import Callable

import boto3
import pytest

from expressway.deploy.deployer import Deployer
from expressway.deploy.fleet import Operator
from expressway.errors import ConfigError
from expressway.plan.arns import Arns
from expressway.plan.deployer_policy import deployer_policy
from expressway.plan.render import plan_json, plan_text
from expressway.registry import Registry, parse
from expressway.testing import registry_text

Make = Callable[..., Deployer]
KEY = "/homestack/sensors/cursor-key"
GENERATED = {
    "services": {"sensors": {"secrets": {"CURSOR_KEY": f"ssm:{KEY}"}, "generate_secrets": ["CURSOR_KEY"]}}
}


def _value() -> str:
    found = boto3.client("ssm").get_parameter(Name=KEY, WithDecryption=True)["Parameter"]
    assert found["Type"] == "SecureString"
    return str(found["Value"])


def test_a_generated_secret_is_made_once_at_random_and_never_shown(aws: None, make_deployer: Make) -> None:
    reg = parse(registry_text(GENERATED))
    said: list[str] = []
    operator = Operator(make_deployer(reg, said))

    assert operator.deploy("sensors").ok
    first = _value()
    assert len(first) >= 32
    assert any(f"secret CURSOR_KEY: created SSM parameter {KEY}" in line for line in said)
    assert operator.deploy("sensors").ok
    assert _value() == first  # kept: every task of every revision signs with the same key

    plan = make_deployer(reg).plan(["sensors"])
    records = operator.history.records("sensors")
    shown = "\n".join([*said, plan_text(plan), plan_json(plan), *(r.spec for r in records)])
    assert first not in shown
    assert f"parameter{KEY}" in shown  # what is shown is where the value lives


def test_an_existing_value_is_never_replaced(aws: None, make_deployer: Make) -> None:
    boto3.client("ssm").put_parameter(
        Name=KEY, Value="chosen-by-the-operator-0123456789", Type="SecureString"
    )
    assert Operator(make_deployer(parse(registry_text(GENERATED)))).deploy("sensors").ok
    assert _value() == "chosen-by-the-operator-0123456789"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"generate_secrets": ["NOPE"]}, "generate_secrets: 'NOPE' is not one of the service's secrets"),
        (
            {
                "secrets": {"TOKEN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:t"},
                "generate_secrets": ["TOKEN"],
            },
            "only an SSM parameter ('ssm:/name') can be generated",
        ),
    ],
)
def test_only_a_declared_ssm_secret_can_be_generated(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError, match=r".*") as caught:
        parse(registry_text({"services": {"sensors": changes}}))
    assert problem in caught.value.message


def test_the_deployer_may_create_only_the_generated_parameters(reg: Registry) -> None:
    policy = deployer_policy(
        parse(registry_text(GENERATED)), "prod", Arns("aws", "eu-west-1", "123456789012")
    )
    [create] = [s for s in policy["Statement"] if "ssm:PutParameter" in s["Action"]]
    assert create["Resource"] == [f"arn:aws:ssm:eu-west-1:123456789012:parameter{KEY}"]
    assert not any(
        "ssm:PutParameter" in s["Action"]
        for s in deployer_policy(reg, "prod", Arns("aws", "eu-west-1", "1" * 12))["Statement"]
    )
