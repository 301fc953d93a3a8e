"""Pure validation of Express Mode requests and the defaults AWS applies to omitted fields.

Defaults follow the botocore model's documentation (cpu 256, memory 512, health check /ping,
port 80, scaling 1..20 on AVERAGE_CPU at 60); docs/emulation.md lists where AWS docs disagree.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .errors import invalid

DEFAULT_CPU = "256"
DEFAULT_MEMORY = "512"
DEFAULT_HEALTH_CHECK_PATH = "/ping"
DEFAULT_PORT = 80
DEFAULT_LOG_STREAM_PREFIX = "ecs"
DEFAULT_SCALING = {
    "minTaskCount": 1,
    "maxTaskCount": 20,
    "autoScalingMetric": "AVERAGE_CPU",
    "autoScalingTargetValue": 60,
}
MAX_TAGS = 50
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
_TAG_CHARS = re.compile(r"^[\w\s.:/=+\-@]*$", re.UNICODE)
# Fargate task sizes: CPU units -> allowed memory in MiB.
_FARGATE = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
# Fields of ExpressGatewayServiceConfiguration a request may set (Create and Update alike).
CONFIG_FIELDS = (
    "executionRoleArn",
    "taskRoleArn",
    "taskDefinitionArn",
    "cpu",
    "memory",
    "cpuArchitecture",
    "networkConfiguration",
    "healthCheckPath",
    "primaryContainer",
    "scalingTarget",
)
_TASK_DEFINITION_EXCLUDES = ("primaryContainer", "executionRoleArn", "taskRoleArn", "cpu", "memory")


def check_service_name(name: str) -> None:
    if not _NAME.match(name):
        raise invalid(
            f"Invalid service name '{name}': up to 255 letters (uppercase and lowercase), "
            "numbers, underscores, and hyphens are allowed, starting with a letter or number."
        )


def check_tags(tags: list[dict[str, str]] | None) -> list[dict[str, str]]:
    tags = tags or []
    if len(tags) > MAX_TAGS:
        raise invalid(f"Too many tags: {len(tags)} were given and the limit is {MAX_TAGS}.")
    keys: set[str] = set()
    for tag in tags:
        key, value = tag.get("key", ""), tag.get("value", "")
        if key.lower().startswith("aws:"):
            raise invalid(f"Tag key '{key}' uses the reserved prefix 'aws:', which is not allowed.")
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise invalid(f"Tag '{key}': keys must be 1-128 characters and values 0-256.")
        if not _TAG_CHARS.match(key) or not _TAG_CHARS.match(value):
            raise invalid(f"Tag '{key}' contains characters that are not allowed in tags.")
        if key in keys:
            raise invalid(f"Duplicate tag key '{key}'.")
        keys.add(key)
    return tags


def parse_units(value: str, field: str, unit: str) -> int:
    """'1024' -> 1024; '1 vCPU' -> 1024 (cpu); '2 GB' -> 2048 (memory): RegisterTaskDefinition's
    accepted forms."""
    text = value.strip().lower().replace(" ", "")
    match = re.fullmatch(rf"(\d+(?:\.\d+)?){unit}", text)
    try:
        return int(float(match.group(1)) * 1024) if match else int(text)
    except ValueError:
        raise invalid(f"Invalid {field} value '{value}'.") from None


def check_task_size(cpu: str, memory: str) -> tuple[str, str]:
    cpu_units = parse_units(cpu, "cpu", "vcpu")
    memory_mib = parse_units(memory, "memory", "gb")
    if memory_mib not in _FARGATE.get(cpu_units, ()):
        raise invalid(
            f"No Fargate configuration exists for given values: {cpu_units} CPU, "
            f"{memory_mib} memory. See the Amazon ECS documentation for the valid values."
        )
    return str(cpu_units), str(memory_mib)


def check_health_check_path(path: str) -> None:
    if not path.startswith("/"):
        raise invalid(f"Invalid healthCheckPath '{path}': the path must start with '/'.")
    if len(path) > 1024:
        raise invalid("Invalid healthCheckPath: the path must be at most 1024 characters.")


def check_scaling(scaling: dict[str, Any]) -> None:
    low, high = scaling["minTaskCount"], scaling["maxTaskCount"]
    if low < 0 or high < 1 or low > high:
        raise invalid(
            f"Invalid scalingTarget: minTaskCount ({low}) must be >= 0 and <= maxTaskCount "
            f"({high}), and maxTaskCount must be >= 1."
        )
    target = scaling["autoScalingTargetValue"]
    limit = 65536 if scaling["autoScalingMetric"] == "REQUEST_COUNT_PER_TARGET" else 100
    if not 1 <= target <= limit:
        raise invalid(f"Invalid autoScalingTargetValue {target}: it must be between 1 and {limit}.")


def check_container(container: dict[str, Any]) -> None:
    port = container.get("containerPort", DEFAULT_PORT)
    if not 1 <= port <= 65535:
        raise invalid(f"Invalid containerPort {port}: it must be between 1 and 65535.")
    names = [item.get("name") for item in container.get("environment") or []]
    duplicates = sorted({name for name in names if names.count(name) > 1 and name})
    if duplicates:
        raise invalid(f"Duplicate environment variable names: {', '.join(duplicates)}.")


def merge_config(current: dict[str, Any] | None, request: dict[str, Any]) -> dict[str, Any]:
    """The configuration after a Create (current None) or Update: given fields replace, omitted
    fields keep their current value (or get the default on Create). Raises InvalidParameter."""
    given = {key: copy.deepcopy(request[key]) for key in CONFIG_FIELDS if request.get(key)}
    if "taskDefinitionArn" in given:
        clash = [key for key in (*_TASK_DEFINITION_EXCLUDES, "cpuArchitecture") if key in given]
        if clash:
            raise invalid(f"taskDefinitionArn cannot be combined with {', '.join(clash)}.")
    merged = copy.deepcopy(current) if current else {}
    if "taskDefinitionArn" in given:
        for key in _TASK_DEFINITION_EXCLUDES:
            merged.pop(key, None)
    elif "primaryContainer" in given:
        merged.pop("taskDefinitionArn", None)
    merged.update(given)
    if "taskDefinitionArn" not in merged:
        if "primaryContainer" not in merged:
            raise invalid("Either primaryContainer or taskDefinitionArn must be specified.")
        if not merged.get("executionRoleArn"):
            raise invalid("executionRoleArn is required when primaryContainer is specified.")
        merged["cpu"], merged["memory"] = check_task_size(
            merged.get("cpu", DEFAULT_CPU), merged.get("memory", DEFAULT_MEMORY)
        )
        merged["primaryContainer"].setdefault("containerPort", DEFAULT_PORT)
        check_container(merged["primaryContainer"])
    merged.setdefault("cpuArchitecture", "X86_64")
    merged.setdefault("healthCheckPath", DEFAULT_HEALTH_CHECK_PATH)
    check_health_check_path(merged["healthCheckPath"])
    scaling = {**DEFAULT_SCALING, **(merged.get("scalingTarget") or {})}
    check_scaling(scaling)
    merged["scalingTarget"] = scaling
    return merged


def role_arns(config: dict[str, Any], infrastructure_role_arn: str | None = None) -> list[str]:
    """Every IAM role a request passes, infrastructure role first."""
    arns = [infrastructure_role_arn, config.get("executionRoleArn"), config.get("taskRoleArn")]
    return [arn for arn in arns if arn]
