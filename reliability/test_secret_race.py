"""A generated secret (a random value expressway creates on the first deploy) is read by every task of
the service, so two deployers racing must end with one value, the first one written, and both deploys
must succeed. Checking that it exists must not need the secret's value: the deployer reads it without
decryption (ssm:GetParameter alone, no kms:Decrypt)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from expressway.aws import session
from expressway.deploy.fleet import Operator
from expressway.registry import Registry, parse
from expressway.testing import registry_text
from reliability.deploying import deployer, emulated_aws

KEY = "/homestack/sensors/cursor-key"
GENERATED = {
    "services": {"sensors": {"secrets": {"CURSOR_KEY": f"ssm:{KEY}"}, "generate_secrets": ["CURSOR_KEY"]}}
}
THEIRS = "written-first-by-the-other-deployer-0123456789"


@pytest.fixture
def registry() -> Iterator[Registry]:
    with emulated_aws():
        yield parse(registry_text(GENERATED))


def _value() -> str:
    return str(boto3.client("ssm").get_parameter(Name=KEY, WithDecryption=True)["Parameter"]["Value"])


def _ssm_of_the_deployer(registry: Registry) -> Any:
    """The very client the deployer's SSM gateway uses (clients are cached per environment)."""
    return session.client(registry.environment("prod"), "ssm")


def test_two_deployers_racing_keep_the_first_value_and_both_succeed(registry: Registry) -> None:
    # The other deployer writes between this one's existence check and its create.
    def other_deployer_first(**_: Any) -> None:
        if not written:
            written.append(True)
            boto3.client("ssm").put_parameter(Name=KEY, Value=THEIRS, Type="SecureString")

    written: list[bool] = []
    _ssm_of_the_deployer(registry).meta.events.register("before-call.ssm.PutParameter", other_deployer_first)
    said: list[str] = []

    result = Operator(deployer(registry, said)).deploy("sensors")

    assert written  # the race happened
    assert result.ok, result.error
    assert _value() == THEIRS  # never overwritten: every task keeps signing with one key
    assert any("created meanwhile by another deploy; kept" in line for line in said)
    assert not any(THEIRS in line for line in said)


def test_the_existence_check_never_decrypts(registry: Registry) -> None:
    decrypted: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        if params.get("WithDecryption"):
            decrypted.append(str(params["Name"]))

    _ssm_of_the_deployer(registry).meta.events.register("provide-client-params.ssm.GetParameter", record)

    assert Operator(deployer(registry)).deploy("sensors").ok  # creates it
    assert Operator(deployer(registry)).deploy("sensors").ok  # finds it
    assert len(_value()) >= 32
    assert decrypted == []
