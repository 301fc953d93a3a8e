"""Generated IAM policies grant exactly the declared table access and secrets, nothing more."""

from __future__ import annotations

from expressway.plan.desired import Facts, spec
from expressway.plan.policies import READ_ACTIONS, WRITE_ACTIONS
from expressway.registry import parse
from expressway.testing import registry_text

FACTS = Facts(account="123456789012", region="eu-west-1", subnets=("subnet-a", "subnet-b"), version="v1")
TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/homestack-prod-"


def _spec(key: str):  # type: ignore[no-untyped-def]
    reg = parse(registry_text())
    return spec(reg, "prod", key, FACTS, "img:1", {"sensors": "https://s"})


def test_reader_gets_only_read_actions_on_only_its_tables() -> None:
    policy = _spec("sensors").task_policy
    assert policy is not None
    grants = {tuple(s["Resource"]): tuple(s["Action"]) for s in policy["Statement"]}
    assert grants == {
        (f"{TABLE}readings", f"{TABLE}readings/index/*"): tuple(sorted(READ_ACTIONS)),
        (f"{TABLE}sensors", f"{TABLE}sensors/index/*"): tuple(sorted(READ_ACTIONS)),
    }
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])


def test_writer_gets_read_plus_put_update_batch_write_but_never_delete() -> None:
    policy = _spec("ingest").task_policy
    assert policy is not None
    for statement in policy["Statement"]:
        assert set(statement["Action"]) == set(WRITE_ACTIONS)
        assert "dynamodb:DeleteItem" not in statement["Action"]
        assert not any("*" in a for a in statement["Action"])


def test_service_without_tables_has_no_task_permissions_at_all() -> None:
    assert _spec("dashboard").task_policy is None


def test_execution_role_reads_only_the_services_own_secrets() -> None:
    assert _spec("ingest").secrets_policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadParameters",
                "Effect": "Allow",
                "Action": ["ssm:GetParameters"],
                "Resource": ["arn:aws:ssm:eu-west-1:123456789012:parameter/homestack/ingest/api-key"],
            }
        ],
    }
    assert _spec("sensors").secrets_policy is None
