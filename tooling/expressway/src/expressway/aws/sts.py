"""STS: who is deploying, and into which account."""

from __future__ import annotations

from dataclasses import dataclass

from expressway.aws.session import client, run
from expressway.plan.arns import partition_of
from expressway.registry import Environment


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str

    @property
    def partition(self) -> str:
        """`aws`, `aws-cn`, `aws-us-gov`...: the second field of the caller's ARN."""
        return partition_of(self.arn)


def identity(env: Environment) -> Identity:
    """The caller's account and ARN; fails early and clearly on missing or bad credentials."""
    found = run("check AWS credentials", client(env, "sts").get_caller_identity)
    return Identity(account=found["Account"], arn=found["Arn"])
