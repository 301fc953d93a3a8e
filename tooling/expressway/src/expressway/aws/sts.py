"""STS: who is deploying, and into which account."""

from __future__ import annotations

from dataclasses import dataclass

from expressway.aws.session import client, run
from expressway.registry import Environment


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str


def identity(env: Environment) -> Identity:
    """The caller's account and ARN; fails early and clearly on missing or bad credentials."""
    found = run("check AWS credentials", client(env, "sts").get_caller_identity)
    return Identity(account=found["Account"], arn=found["Arn"])
