"""Names, ARNs and endpoints the emulator hands out (formats observed on AWS; see the docs)."""

from __future__ import annotations

import re
import string
from typing import Any

from moto.moto_api._internal import mock_random

from .config import current_config


def arn(backend: Any, kind: str, *parts: str) -> str:
    """An ECS ARN in the backend's partition, region and account: `<kind>/<part>/<part>...`."""
    return f"arn:{backend.partition}:ecs:{backend.region_name}:{backend.account_id}:{kind}/" + "/".join(parts)


def endpoint(backend: Any, name: str) -> str:
    """`<2 chars>-<32 hex>.ecs.<region>.on.aws`, or `<name>.<domain>:<port>` in local mode (the
    configured `local_strip_prefix` left out of the name)."""
    config = current_config()
    if config.local and config.local_strip_prefix and name.startswith(config.local_strip_prefix):
        name = name[len(config.local_strip_prefix) :] or name
    label = re.sub(r"[^a-z0-9-]", "-", name.lower()).strip("-") or "service"
    if config.local:
        return f"{label}.{config.local_domain}:{config.local_port}"
    return f"{label[:2]}-{mock_random.get_random_hex(32)}.ecs.{backend.region_name}.on.aws"


def generated_name(image: str) -> str:
    """A service name derived from the image, as Express Mode makes one when none is given."""
    base = image.split("@")[0].rsplit("/", 1)[-1].split(":")[0]
    base = re.sub(r"[^A-Za-z0-9_-]", "-", base).strip("-_") or "service"
    return f"{base[:250]}-{mock_random.get_random_hex(4)}"


def revision_id() -> str:
    return "".join(mock_random.choice(string.digits) for _ in range(19))


def deployment_id() -> str:
    return "".join(mock_random.choice(string.ascii_letters + string.digits + "-_") for _ in range(22))
