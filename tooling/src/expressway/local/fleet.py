"""The fleet the emulator holds, as the supervisor runs it: Express service -> latest revision -> spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from expressway.registry import Registry
from expressway.registry.names import Names

from .process import ServiceSpec

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_ssm import SSMClient

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
    ecs: ECSClient,
    ssm: SSMClient,
    registry: Registry,
    env: str,
    aws: LocalAws,
) -> tuple[dict[str, ServiceSpec], dict[str, str]]:
    """(spec per registry service that has an ACTIVE Express service, problem per one that cannot run)."""
    names = Names.of(registry, env)
    specs: dict[str, ServiceSpec] = {}
    problems: dict[str, str] = {}
    for key, service in registry.services.items():
        described = _describe(ecs, service_arn(aws, names.cluster, names.service(key)))
        if described is None or described.get("status", {}).get("statusCode") != "ACTIVE":
            continue
        configurations = sorted(
            described.get("activeConfigurations", []), key=lambda c: c.get("createdAt", 0)
        )
        if not configurations:
            continue
        latest = configurations[-1]  # while a deployment runs, its target comes last: ECS starts it too
        container = latest.get("primaryContainer", {})
        environment = {**aws.environment(), **_pairs(container.get("environment", []), "value")}
        try:
            environment.update(_secrets(ssm, _pairs(container.get("secrets", []), "valueFrom")))
        except LookupError as error:
            problems[key] = str(error)
            continue
        ingress = latest.get("ingressPaths") or [{}]
        specs[key] = ServiceSpec(
            name=key,
            revision=str(latest.get("serviceRevisionArn", "")),
            app=service.app,
            health=str(latest.get("healthCheckPath", "/")),
            host=str(ingress[0].get("endpoint", "")).split(":", 1)[0],
            environment=environment,
        )
    return specs, problems


def _describe(ecs: ECSClient, arn: str) -> Mapping[str, Any] | None:
    try:
        found: Mapping[str, Any] = ecs.describe_express_gateway_service(serviceArn=arn)["service"]
    except (
        ecs.exceptions.ResourceNotFoundException,  # what Express answers for an unknown service
        ecs.exceptions.ServiceNotFoundException,
        ecs.exceptions.ClusterNotFoundException,
    ):
        return None
    return found


def _pairs(items: list[Mapping[str, Any]], field: str) -> dict[str, str]:
    return {str(item["name"]): str(item[field]) for item in items if "name" in item and field in item}


def _secrets(ssm: SSMClient, refs: Mapping[str, str]) -> dict[str, str]:
    """Resolve ECS secrets the way the agent does at task start; a missing one stops the start."""
    values = {}
    for var, ref in refs.items():
        if ":secretsmanager:" in ref:
            raise LookupError(f"secret {var}: the local cloud resolves SSM parameters only, not {ref}")
        name = "/" + ref.split(":parameter/", 1)[1] if ":parameter/" in ref else ref
        try:
            values[var] = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            raise LookupError(f"secret {var}: SSM parameter {name} does not exist") from None
    return values
