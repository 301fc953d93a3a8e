r"""What each kind of text in services.toml may look like, and how problems quote it (pure).

Every pattern is anchored at both ends (`\A...\Z`) and applied with `fullmatch`: `re.match` with `$`
lets a trailing newline through, and a newline in a name becomes a second line wherever it is printed.
"""

from __future__ import annotations

import re

NAME = re.compile(r"\A[a-z][a-z0-9-]*\Z", re.ASCII)
ENV_VAR = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z", re.ASCII)
REGION = re.compile(r"\A[a-z]{2}(?:-[a-z]+)+-\d\Z", re.ASCII)
# A secret reference becomes an IAM resource (the execution role reads it, the deployer checks or
# creates it), where `*` and `?` are wildcards and `${...}` a policy variable: so a reference holds
# only the characters its service allows in a name, and a name is never a pattern.
# SSM parameter names: "a-zA-Z0-9_.-", "/" between the levels of a hierarchy, at most 15 levels
# (PutParameter, Name: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html).
_PARAMETER = r"(?:/[A-Za-z0-9_.-]+){1,15}"
# Secrets Manager secret names: letters, digits and "/_+=.@-" (CreateSecret, Name:
# https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html); ECS may follow
# the ARN with `:json-key:version-stage:version-id` ("Pass Secrets Manager secrets through Amazon ECS
# environment variables", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html).
_SM_NAME_CHAR = r"[A-Za-z0-9/_+=.@-]"
# ARNs of any partition: `aws`, `aws-cn`, `aws-us-gov`... (docs/aws-facts.md; plan/arns.py)
_SSM_ARN = r"arn:aws(?:-[a-z]+)*:ssm:[a-z0-9-]+:[0-9]{12}:parameter"
_SECRETS_ARN = r"arn:aws(?:-[a-z]+)*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:"
SECRET = re.compile(
    rf"\A(?:ssm:{_PARAMETER}|{_SSM_ARN}{_PARAMETER}"
    rf"|{_SECRETS_ARN}{_SM_NAME_CHAR}+(?::{_SM_NAME_CHAR}*){{0,3}})\Z",
    re.ASCII,
)
_WILDCARDS = "*?"
APP = re.compile(r"\A[A-Za-z_][\w.]*:[A-Za-z_]\w*\Z")
# ECS cluster names: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens"
# (CreateCluster, clusterName: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html).
CLUSTER = re.compile(r"\A[A-Za-z0-9_-]{1,255}\Z", re.ASCII)
# An image reference as the distribution project's grammar defines it (name, optional domain and
# port, tag, digest): https://github.com/distribution/reference/blob/main/reference.go. It becomes a
# Dockerfile `FROM` line, so nothing outside the grammar (a newline, a space) may reach it.
_DOMAIN = (
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?"
)
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE = re.compile(
    rf"\A(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::[\w][\w.-]{{0,127}})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?\Z",
    re.ASCII,
)
# A service folder: relative, inside the repository, plain names (no '.', '..' or hidden parts).
FOLDER = re.compile(r"\A[A-Za-z0-9_][A-Za-z0-9._-]*(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)*\Z", re.ASCII)
# Partition and sort key names: 1 to 255 bytes (DynamoDB naming rules, "Attribute names":
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html).
KEY_BYTES = 255
PLAIN_KEY = re.compile(r"\A[A-Za-z0-9_-]+\Z", re.ASCII)


def check_image(value: str) -> str:
    """`value` when it is an image reference (`python:3.12-slim`, `host:5000/team/app@sha256:...`)."""
    if len(value) > 255 or not IMAGE.fullmatch(value):
        raise ValueError(f"{short(value)} is not an image reference; use e.g. 'python:3.12-slim'")
    return value


def secret_problem(ref: str) -> str | None:
    """Why `ref` is not a secret reference (None when it is one): which service it names and what
    that service allows, or the wildcard it holds."""
    if SECRET.fullmatch(ref):
        return None
    service = "SSM parameter" if ref.startswith("ssm:") or ":ssm:" in ref else "Secrets Manager secret"
    if not ref.startswith(("ssm:", "arn:")):
        return f"{short(ref)} is not a secret reference; use 'ssm:/parameter/name' or a Secrets Manager ARN"
    if wildcard := next((c for c in ref if c in _WILDCARDS), None):
        return (
            f"{short(ref)} holds the wildcard {wildcard!r}, which the IAM policies made from it would read "
            f"as every {service} it matches; name exactly one"
        )
    if service == "SSM parameter":
        return (
            f"{short(ref)} is not an SSM parameter reference; use 'ssm:/level/name' (or its ARN): "
            "letters, digits, '_', '.' and '-', with '/' between at most 15 levels"
        )
    return (
        f"{short(ref)} is not a Secrets Manager secret ARN; use "
        "'arn:<partition>:secretsmanager:<region>:<account>:secret:<name>', a name of letters, digits "
        "and '/_+=.@-'"
    )


def short(value: object) -> str:
    """`repr(value)`, cut to a length a one-line problem can carry."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:76]}...{text[-1]}"


def dotted(*parts: str | int) -> str:
    """`services.sensors.env`: where a problem is; a key with odd characters is shown quoted, so a
    newline in a key cannot break a problem line (or forge another)."""
    return ".".join(p if PLAIN_KEY.fullmatch(p := str(part)) else short(p) for part in parts)
