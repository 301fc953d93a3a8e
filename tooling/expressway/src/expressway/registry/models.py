"""The models of services.toml: frozen, strict, no unknown keys (pure: no AWS, no network)."""

from __future__ import annotations

import difflib
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from expressway.errors import UsageError
from expressway.registry.forms import APP, CLUSTER, FOLDER, KEY_BYTES, REGION, check_image, short
from expressway.registry.forms import NAME as NAME
from expressway.registry.forms import SECRET as SECRET

# The Python every image runs is the one CI tests the services on (noxfile PYTHON, .python-version):
# tests/test_python_version.py holds them together.
DEFAULT_BASE_IMAGE = "python:3.11-slim"
# The only retentions PutRetentionPolicy accepts, in days (CloudWatch Logs API reference,
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html).
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)  # fmt: skip


class _Strict(BaseModel):
    """Frozen, strict, no unknown keys; an unknown key names the valid ones and the closest."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            valid = sorted(cls.model_fields)
            for key in data:
                if key not in cls.model_fields:
                    close = difflib.get_close_matches(str(key), valid, n=1)
                    guess = f"did you mean {close[0]!r}? " if close else ""
                    raise ValueError(f"unknown key {short(key)}; {guess}valid keys: {', '.join(valid)}")
        return data


class Project(_Strict):
    """The [project] table: a name that prefixes every AWS resource, and the default base image."""

    name: str = Field(description="Prefix of every AWS resource name (lowercase, digits, '-').")
    base_image: str = Field(DEFAULT_BASE_IMAGE, description="Base image of every service image.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.fullmatch(value) or len(value) > 20:
            raise ValueError(f"{short(value)} is not a valid name; use 1-20 of a-z, 0-9 and '-'")
        return value

    @field_validator("base_image")
    @classmethod
    def _base_image(cls, value: str) -> str:
        return check_image(value)


class Environment(_Strict):
    """One [environments.<name>] table: where a copy of the fleet runs."""

    region: str = Field(description="AWS region, e.g. eu-west-1.")
    profile: str | None = Field(None, description="AWS profile for this environment.")
    cluster: str | None = Field(None, description="ECS cluster; default <project>-<env>.")
    vpc: str = Field("default", description="'default' or a VPC id; all services share it.")
    subnets: tuple[str, ...] | None = Field(None, strict=False, description="Explicit subnet ids (>= 2).")
    access: Literal["public", "private"] = Field("public", description="ALB scheme.")
    endpoint: str | None = Field(None, description="AWS endpoint URL (the local cloud only).")
    log_retention_days: int = Field(
        30, description="Retention of every service's log group, in days CloudWatch Logs accepts."
    )
    _name: str = PrivateAttr("")  # its key in [environments], set by the Registry that holds it

    @property
    def name(self) -> str:
        """The environment's name in services.toml (an environment made alone: its region)."""
        return self._name or f"region {self.region}"

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not REGION.fullmatch(value):
            raise ValueError(f"{short(value)} is not an AWS region; use e.g. 'eu-west-1'")
        return value

    @field_validator("cluster")
    @classmethod
    def _cluster(cls, value: str | None) -> str | None:
        if value is not None and not CLUSTER.fullmatch(value):
            raise ValueError(
                f"{short(value)} is not an ECS cluster name; use 1-255 of A-Z, a-z, 0-9, '_', '-'"
            )
        return value

    @field_validator("vpc")
    @classmethod
    def _vpc(cls, value: str) -> str:
        if value != "default" and not re.fullmatch(r"vpc-[0-9a-f]+", value):
            raise ValueError(f"{short(value)} is not a VPC; use 'default' or an id like 'vpc-0abc'")
        return value

    @field_validator("subnets")
    @classmethod
    def _subnets(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None:
            bad = [s for s in value if not re.fullmatch(r"subnet-[0-9a-f]+", s)]
            if bad:
                raise ValueError(f"{short(bad[0])} is not a subnet id; use ids like 'subnet-0abc'")
            if len(set(value)) < 2:
                raise ValueError("Express Mode needs at least 2 subnets in different zones")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in RETENTION_DAYS:
            allowed = ", ".join(str(days) for days in RETENTION_DAYS)
            raise ValueError(f"{value} is not a retention CloudWatch Logs accepts; use one of {allowed}")
        return value

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[!-.0-~]+/?", value, re.ASCII):
            raise ValueError(f"{short(value)} is not an endpoint URL; use e.g. 'http://127.0.0.1:4566'")
        return value


class Table(_Strict):
    """One [tables.<name>] table: a DynamoDB table the fleet owns."""

    partition_key: str = Field(description="Partition key attribute (string).")
    sort_key: str | None = Field(None, description="Sort key attribute (string), if any.")
    ttl_attribute: str | None = Field(None, description="Attribute holding the expiry time.")

    @field_validator("partition_key", "sort_key", "ttl_attribute")
    @classmethod
    def _attribute(cls, value: str | None) -> str | None:
        if value is not None and not 1 <= len(value.encode()) <= KEY_BYTES:
            raise ValueError(f"{short(value)} is not an attribute name; use 1 to {KEY_BYTES} bytes")
        return value


class Scaling(_Strict):
    """Auto scaling of one service: task count bounds and the target-tracking metric."""

    min: int = Field(1, ge=0, description="Fewest tasks.")
    max: int = Field(4, ge=1, description="Most tasks.")
    metric: Literal["cpu", "memory", "requests"] = Field("cpu", description="Tracked metric.")
    target: int = Field(60, ge=1, description="Target value (percent, or requests per task).")

    @model_validator(mode="after")
    def _bounds(self) -> Scaling:
        if self.max < self.min:
            raise ValueError(f"max {self.max} is below min {self.min}")
        limit = 65536 if self.metric == "requests" else 100
        if self.target > limit:
            raise ValueError(f"target {self.target} is above {limit} for metric {self.metric!r}")
        return self


Access = Literal["read", "write"]


class ServiceSettings(_Strict):
    """The per-environment overridable part of a service (see `[services.X.environments.E]`)."""

    port: int | None = Field(None, description="Container port the app listens on.")
    health: str | None = Field(None, description="Health path; must answer 200.")
    cpu: int | None = Field(None, description="CPU units (Fargate size).")
    memory: int | None = Field(None, description="Memory in MiB (must fit cpu).")
    architecture: Literal["x86_64", "arm64"] | None = Field(None, description="CPU arch.")
    scaling: Scaling | None = Field(None, description="Replaces the whole scaling table.")
    env: dict[str, str] = Field(default_factory=dict, description="Merged over the base env.")
    secrets: dict[str, str] = Field(default_factory=dict, description="Merged over secrets.")
    base_image: str | None = Field(None, description="Base image override.")

    @field_validator("base_image")
    @classmethod
    def _base_image(cls, value: str | None) -> str | None:
        return None if value is None else check_image(value)


class Service(ServiceSettings):
    """One [services.<name>] table: a deployable service and what it may touch."""

    path: str = Field(
        description="Folder of the service: a uv workspace member, relative to the repository root."
    )
    app: str = Field(description="ASGI app as 'module:attribute'.")
    tables: dict[str, Access] = Field(default_factory=dict, description="Table -> read|write.")
    generate_secrets: tuple[str, ...] = Field(
        (),
        strict=False,
        description="Secrets (names in `secrets`, each an `ssm:` parameter) that expressway creates "
        "with a random value when missing; the value is never printed.",
    )
    environments: dict[str, ServiceSettings] = Field(
        default_factory=dict, description="Per-environment overrides."
    )

    @field_validator("app")
    @classmethod
    def _app(cls, value: str) -> str:
        if not APP.fullmatch(value):
            raise ValueError(f"{short(value)} is not an app; use 'module.path:attribute'")
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not FOLDER.fullmatch(value) or len(value) > 255:
            raise ValueError(
                f"{short(value)} is not a folder inside the repository; use a relative path of plain "
                "names, e.g. 'services/sensors' (no leading '/', no '.' or '..')"
            )
        return value


class Registry(_Strict):
    """The whole services.toml."""

    project: Project
    environments: dict[str, Environment] = Field(min_length=1)
    tables: dict[str, Table] = Field(default_factory=dict)
    services: dict[str, Service] = Field(min_length=1)

    def model_post_init(self, _context: Any, /) -> None:
        # Errors about AWS sessions name the environment; only the registry knows its name.
        for name, environment in self.environments.items():
            environment._name = name

    def environment(self, name: str) -> Environment:
        """The environment called `name`, or a UsageError that suggests the closest one."""
        if name not in self.environments:
            raise _unknown("environment", name, self.environments)
        return self.environments[name]

    def service(self, name: str) -> Service:
        """The service called `name`, or a UsageError that suggests the closest one."""
        if name not in self.services:
            raise _unknown("service", name, self.services)
        return self.services[name]


def _unknown(kind: str, name: str, known: dict[str, Any]) -> UsageError:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return UsageError(
        f"unknown {kind} {name!r}: not in services.toml",
        hint=f"{guess}known {kind}s: {', '.join(sorted(known))}",
    )


class ResolvedService(BaseModel):
    """A service with one environment's overrides applied and every default filled in."""

    model_config = ConfigDict(frozen=True)

    key: str
    path: str
    app: str
    port: int
    health: str
    cpu: int
    memory: int
    architecture: Literal["x86_64", "arm64"]
    scaling: Scaling
    env: dict[str, str]
    secrets: dict[str, str]
    generated: tuple[str, ...]  # secrets expressway creates with a random value when missing
    tables: dict[str, Access]
    base_image: str


def resolve(registry: Registry, name: str, env_name: str | None) -> ResolvedService:
    """Service `name` as it runs in `env_name`: scalars replaced, env and secrets merged."""
    base = registry.service(name)
    over = base.environments.get(env_name or "", ServiceSettings())

    def pick(field: str, default: Any) -> Any:
        for layer in (over, base):
            value = getattr(layer, field)
            if value is not None:
                return value
        return default

    return ResolvedService(
        key=name,
        path=base.path,
        app=base.app,
        port=pick("port", 8000),
        health=pick("health", "/health"),
        cpu=pick("cpu", 256),
        memory=pick("memory", 512),
        architecture=pick("architecture", "x86_64"),
        scaling=pick("scaling", Scaling()),
        env={**base.env, **over.env},
        secrets={**base.secrets, **over.secrets},
        generated=base.generate_secrets,
        tables=dict(base.tables),
        base_image=pick("base_image", registry.project.base_image),
    )


def schema() -> dict[str, Any]:
    """JSON Schema of services.toml, for editors (e.g. Taplo, VS Code Even Better TOML)."""
    document = Registry.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "services.toml (expressway registry)"
    return document
