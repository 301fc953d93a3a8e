r"""What each kind of text in services.toml may look like, and how problems quote it (pure).

Every pattern is anchored at both ends (`\A...\Z`) and applied with `fullmatch`: `re.match` with `$`
lets a trailing newline through, and a newline in a name becomes a second line wherever it is printed.
"""

from __future__ import annotations

import re

NAME = re.compile(r"\A[a-z][a-z0-9-]*\Z", re.ASCII)
ENV_VAR = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z", re.ASCII)
REGION = re.compile(r"\A[a-z]{2}(?:-[a-z]+)+-\d\Z", re.ASCII)
# An ARN of any partition: `aws`, `aws-cn`, `aws-us-gov`... (docs/aws-facts.md; plan/arns.py)
SECRET = re.compile(r"\A(?:ssm:/[!-~]+|arn:aws(?:-[a-z]+)*:(?:secretsmanager|ssm):[!-~]+)\Z", re.ASCII)
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


def short(value: object) -> str:
    """`repr(value)`, cut to a length a one-line problem can carry."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:76]}...{text[-1]}"


def dotted(*parts: str | int) -> str:
    """`services.sensors.env`: where a problem is; a key with odd characters is shown quoted, so a
    newline in a key cannot break a problem line (or forge another)."""
    return ".".join(p if PLAIN_KEY.fullmatch(p := str(part)) else short(p) for part in parts)
