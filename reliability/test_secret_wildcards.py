"""A secret reference in services.toml becomes an IAM resource three times over: the execution role
reads it (ssm:GetParameters, secretsmanager:GetSecretValue), the deployer checks it (ssm:GetParameter)
and, for a generated secret, creates it (ssm:PutParameter). In IAM `*` and `?` are wildcards and
`${...}` a policy variable, so a reference holding one would grant a whole family of secrets. Whatever
the registry says, a registry that loads yields policies that name each secret exactly; one that does
not is refused with a line naming the service and the variable."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from expressway.errors import ConfigError
from expressway.plan.deployer_policy import deployer_policy
from expressway.plan.desired import Facts, spec
from expressway.registry import Registry, parse
from expressway.testing import registry_text
from reliability.figures import Figures

SEED = 20261209
FACTS = Facts(account="123456789012", region="eu-west-1", subnets=("subnet-a", "subnet-b"), version="v")
ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:"
SSM_ARN = "arn:aws:ssm:eu-west-1:123456789012:parameter"
# What the review sent, and the neighbours of each: every one would widen a policy if it loaded.
HOSTILE = [
    "ssm:/*",
    "ssm:/homestack/*",
    "ssm:/homestack/ingest/api-ke?",
    "ssm:/homestack/${aws:username}",
    "ssm:/homestack/[a-z]",
    f"{ARN}*",
    f"{ARN}db-??????",
    f"{ARN}db-*:password::",
    f"{SSM_ARN}/*",
    f"{SSM_ARN}/homestack/*",
]
# Where a secret's name shows in a policy that must name one thing only.
SECRET_SIDS = {"ReadParameters", "ReadSecrets", "CheckSecrets", "CreateGeneratedSecrets"}


def _registry(ref: str, generated: bool) -> str:
    service: dict[str, Any] = {"secrets": {"TOKEN": ref}}
    if generated:
        service["generate_secrets"] = ["TOKEN"]
    return registry_text({"services": {"sensors": service}})


def _secret_resources(registry: Registry) -> list[str]:
    """Every resource of every statement that grants access to secrets, in the execution role of each
    service and in the deployer's policy."""
    execution = [
        spec(registry, "prod", key, FACTS, "image", {}, placeholders=True) for key in registry.services
    ]
    statements = [
        *(
            s
            for desired in execution
            if desired.execution_policy
            for s in desired.execution_policy["Statement"]
        ),
        *deployer_policy(registry, "prod", FACTS.arns)["Statement"],
    ]
    return [
        resource
        for statement in statements
        if statement["Sid"] in SECRET_SIDS
        for resource in (
            [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
        )
    ]


def _check(ref: str, generated: bool) -> bool:
    """True when the registry loaded (and its policies name each secret exactly), False when refused."""
    problems: tuple[str, ...] = ()
    registry: Registry | None = None
    try:
        registry = parse(_registry(ref, generated))
    except ConfigError as exc:
        problems = exc.problems
    if registry is None:
        where = "services.toml: services.sensors.secrets.TOKEN: "
        assert any(line.startswith(where) for line in problems), problems
        return False
    widened = [r for r in _secret_resources(registry) if any(mark in r for mark in ("*", "?", "${"))]
    assert widened == [], f"{ref!r} loaded and widened the policies: {widened}"
    return True


@pytest.mark.parametrize(
    ("ref", "generated"),
    [(ref, False) for ref in HOSTILE] + [(ref, True) for ref in HOSTILE if ref.startswith("ssm:")],
)
def test_a_wildcard_secret_reference_is_refused_naming_service_and_variable(
    ref: str, generated: bool
) -> None:
    assert _check(ref, generated) is False


# Names built from a name's characters and everything IAM or a shell reads specially.
_CHARS = st.sampled_from(list("abcXYZ019_.-/") + list("*?${}[]:@+= \n\\"))
_NAMES = st.text(_CHARS, min_size=1, max_size=24)
_REFS = st.one_of(
    _NAMES.map(lambda name: f"ssm:/{name}"),
    _NAMES.map(lambda name: f"{SSM_ARN}/{name}"),
    _NAMES.map(lambda name: f"{ARN}{name}"),
)


@seed(SEED)
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ref=_REFS, generated=st.booleans())
def test_no_loaded_registry_grants_more_than_the_secrets_it_names(
    ref: str, generated: bool, figures: Figures
) -> None:
    loaded = _check(ref, generated and ref.startswith("ssm:"))
    figures.count("cases tried")
    figures.count("secret refs loaded, exact" if loaded else "secret refs refused")
