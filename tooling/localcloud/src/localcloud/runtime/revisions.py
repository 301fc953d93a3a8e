"""The fleet the emulator holds, as the supervisor runs it: Express service -> latest revision -> spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from expressway.aws.ecs import Ecs
from expressway.aws.ssm import Ssm
from expressway.registry import Names, Registry

from .process import ServiceSpec

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


@dataclass(frozen=True)
class LocalAws:
    """How a local process reaches the emulated AWS and the router (its stand-in for DNS)."""

    endpoint: str  # e.g. http://127.0.0.1:4566
    region: str
    account: str
    router_port: int

    def environment(self) -> dict[str, str]:
        """Variables every local service process gets, below its own task environment."""
        return {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            # `<service>.localhost` does not resolve everywhere outside browsers; clients that honour
            # HTTP_PROXY (httpx, requests, botocore) send such requests to the router instead, which
            # routes them by Host like any other. The emulator itself is reached directly.
            "HTTP_PROXY": f"http://127.0.0.1:{self.router_port}",
            "http_proxy": f"http://127.0.0.1:{self.router_port}",
            "NO_PROXY": "127.0.0.1,::1",
            "no_proxy": "127.0.0.1,::1",
            "LOG_FORMAT": "text",  # people read these lines; a task's own LOG_FORMAT still wins
        }


def service_arn(aws: LocalAws, cluster: str, name: str) -> str:
    """Express services have no list call; their ARN follows from cluster and name."""
    return f"arn:aws:ecs:{aws.region}:{aws.account}:service/{cluster}/{name}"


def read_fleet(
    ecs: Ecs,
    ssm: Ssm,
    registry: Registry,
    env: str,
    aws: LocalAws,
) -> tuple[dict[str, ServiceSpec], dict[str, str]]:
    """(spec per registry service that has an ACTIVE Express service, problem per one that cannot run)."""
    names = Names.of(registry, env)
    specs: dict[str, ServiceSpec] = {}
    problems: dict[str, str] = {}
    for key, service in registry.services.items():
        described = ecs.describe(service_arn(aws, names.cluster, names.service(key)))
        latest = described.active if described is not None and described.status == "ACTIVE" else None
        if latest is None:  # while a deployment runs, its target is the newest: ECS starts it too
            continue
        environment = {**aws.environment(), **latest.environment}
        try:
            environment.update(_secrets(ssm, latest.secrets))
        except LookupError as error:
            problems[key] = str(error)
            continue
        specs[key] = ServiceSpec(
            name=key,
            revision=latest.revision or "",
            app=service.app,
            health=latest.health_path or "/",
            host=(latest.endpoint or "").split(":", 1)[0],
            environment=environment,
        )
    return specs, problems


def _secrets(ssm: Ssm, refs: Mapping[str, str]) -> dict[str, str]:
    """Resolve ECS secrets the way the agent does at task start; a missing one stops the start."""
    values = {}
    for var, ref in refs.items():
        if ":secretsmanager:" in ref:
            raise LookupError(f"secret {var}: the local cloud resolves SSM parameters only, not {ref}")
        name = "/" + ref.split(":parameter/", 1)[1] if ":parameter/" in ref else ref
        found = ssm.value(name)
        if found is None:
            raise LookupError(f"secret {var}: SSM parameter {name} does not exist")
        values[var] = found
    return values
