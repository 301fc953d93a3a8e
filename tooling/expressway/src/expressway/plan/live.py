"""What runs now: a DescribeExpressGatewayService answer (and its deployment) as frozen, typed values.

Every field of a describe that expressway reads is read here, once. The aws layer builds these from
AWS's answers (`LiveService.from_describe`); everything else reads the typed fields. Field names
follow the botocore ECS model (shapes `ECSExpressGatewayService`, `ExpressGatewayServiceConfiguration`,
`ECSManagedResources`, `ServiceDeployment`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

VERSION_VAR = "APP_VERSION"  # the version a deploy stamps into every revision's environment

MANAGED_FAILED = "FAILED"  # ManagedResourceStatus of a resource Express could not provision


def when(value: Any) -> datetime | None:
    """A timestamp as botocore gives it (datetime) or as JSON carries it (epoch seconds)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            return when(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _pairs(items: Sequence[Mapping[str, Any]] | None, value: str) -> dict[str, str]:
    return {str(i["name"]): str(i.get(value, "")) for i in items or () if "name" in i}


@dataclass(frozen=True)
class Configuration:
    """One revision of the service's configuration (an entry of `activeConfigurations`)."""

    revision: str | None
    created_at: datetime | None
    image: str | None
    environment: Mapping[str, str]
    secrets: Mapping[str, str]  # variable -> valueFrom
    endpoint: str | None  # host name of the first ingress path (no scheme)
    health_path: str | None
    port: int | None
    log_group: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)  # as described: what a plan diffs

    @property
    def version(self) -> str | None:
        """APP_VERSION of this revision; None when the revision does not carry one."""
        return self.environment.get(VERSION_VAR)

    @classmethod
    def from_describe(cls, raw: Mapping[str, Any]) -> Configuration:
        container = raw.get("primaryContainer") or {}
        ingress = [p for p in raw.get("ingressPaths") or () if p.get("endpoint")]
        port = container.get("containerPort")
        return cls(
            revision=raw.get("serviceRevisionArn"),
            created_at=when(raw.get("createdAt")),
            image=container.get("image"),
            environment=_pairs(container.get("environment"), "value"),
            secrets=_pairs(container.get("secrets"), "valueFrom"),
            endpoint=str(ingress[0]["endpoint"]) if ingress else None,
            health_path=raw.get("healthCheckPath"),
            port=int(port) if port is not None else None,
            log_group=(container.get("awsLogsConfiguration") or {}).get("logGroup"),
            raw=raw,
        )


@dataclass(frozen=True)
class ManagedResource:
    """One resource Express manages for the service (ECSManagedResources), with its status."""

    kind: str  # loadBalancer, listener, rule, targetGroup, certificate, scalableTarget, ...
    arn: str | None
    status: str | None  # ManagedResourceStatus: PROVISIONING, ACTIVE, DEPROVISIONING, DELETED, FAILED
    reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == MANAGED_FAILED


@dataclass(frozen=True)
class ManagedResources:
    """What DescribeServiceRevisions reports Express built for the service's active revisions."""

    load_balancer: str | None = None
    target_groups: tuple[str, ...] = ()
    items: tuple[ManagedResource, ...] = ()

    @property
    def failed(self) -> tuple[ManagedResource, ...]:
        return tuple(item for item in self.items if item.failed)

    @classmethod
    def from_revisions(cls, revisions: Sequence[Mapping[str, Any]]) -> ManagedResources:
        balancer: str | None = None
        groups: list[str] = []
        items: list[ManagedResource] = []

        def add(kind: str, value: Mapping[str, Any] | None) -> None:
            if value:
                arn = value.get("arn") or value.get("logGroupName")
                items.append(ManagedResource(kind, arn, value.get("status"), value.get("statusReason")))

        for revision in revisions:
            managed = revision.get("ecsManagedResources") or {}
            for path in managed.get("ingressPaths") or ():
                found = path.get("loadBalancer") or {}
                balancer = found.get("arn") or balancer
                for kind in ("loadBalancer", "listener", "rule", "certificate"):
                    add(kind, path.get(kind))
                for group in path.get("targetGroups") or ():
                    add("targetGroup", group)
                    if group.get("arn") and group["arn"] not in groups:
                        groups.append(str(group["arn"]))
            scaling = managed.get("autoScaling") or {}
            add("scalableTarget", scaling.get("scalableTarget"))
            for policy in scaling.get("applicationAutoScalingPolicies") or ():
                add("scalingPolicy", policy)
            for kind, key in (("alarm", "metricAlarms"), ("securityGroup", "serviceSecurityGroups"),
                              ("logGroup", "logGroups")):  # fmt: skip
                for value in managed.get(key) or ():
                    add(kind, value)
        return cls(balancer, tuple(groups), tuple(items))


@dataclass(frozen=True)
class LiveService:
    """An Express service as DescribeExpressGatewayService reports it (plus, when asked, what Express
    manages for it). `url` is the endpoint with the scheme people use there."""

    arn: str
    name: str
    cluster: str | None
    status: str  # ACTIVE, DRAINING or INACTIVE
    status_reason: str | None
    current_deployment: str | None
    infrastructure_role: str | None
    configurations: tuple[Configuration, ...]  # oldest first; during a deployment, old and new
    tags: Mapping[str, str] | None  # None unless the describe asked for TAGS
    resources: ManagedResources | None  # None unless the revisions were read too
    created_at: datetime | None
    updated_at: datetime | None
    url_scheme: str = "https"

    @property
    def active(self) -> Configuration | None:
        """The newest configuration: while a deployment runs, the one it deploys."""
        return self.configurations[-1] if self.configurations else None

    @property
    def gone(self) -> bool:
        """INACTIVE: deleted; its name is free again and ECS answers nothing more about it."""
        return self.status == "INACTIVE"

    @property
    def draining(self) -> bool:
        return self.status == "DRAINING"

    @property
    def image(self) -> str | None:
        return self.active.image if self.active else None

    @property
    def version(self) -> str | None:
        """APP_VERSION of the newest revision; None when none is deployed, "unknown" if it has none."""
        if self.active is None:
            return None
        return self.active.version or "unknown"

    @property
    def url(self) -> str | None:
        endpoint = self.active.endpoint if self.active else None
        return service_url(endpoint, self.url_scheme) if endpoint else None

    @classmethod
    def from_describe(
        cls,
        document: Mapping[str, Any],
        *,
        url_scheme: str = "https",
        revisions: Sequence[Mapping[str, Any]] | None = None,
    ) -> LiveService:
        """Build from DescribeExpressGatewayService's `service` (and DescribeServiceRevisions')."""
        configs = [Configuration.from_describe(c) for c in document.get("activeConfigurations") or ()]
        oldest = datetime.min.replace(tzinfo=UTC)
        configs.sort(key=lambda c: c.created_at or oldest)  # stable: the API's order breaks ties
        status = document.get("status") or {}
        tags = document.get("tags")
        return cls(
            arn=str(document["serviceArn"]),
            name=str(document.get("serviceName") or str(document["serviceArn"]).rsplit("/", 1)[-1]),
            cluster=document.get("cluster"),
            status=str(status.get("statusCode") or "UNKNOWN"),
            status_reason=status.get("statusReason"),
            current_deployment=document.get("currentDeployment"),
            infrastructure_role=document.get("infrastructureRoleArn"),
            configurations=tuple(configs),
            tags={str(t["key"]): str(t.get("value", "")) for t in tags} if tags is not None else None,
            resources=ManagedResources.from_revisions(revisions) if revisions is not None else None,
            created_at=when(document.get("createdAt")),
            updated_at=when(document.get("updatedAt")),
            url_scheme=url_scheme,
        )


def service_url(endpoint: str, scheme: str = "https") -> str:
    """The URL people use for an endpoint: https on AWS, http on the local cloud (no certificates)."""
    if "://" in endpoint:
        return endpoint.rstrip("/")
    return f"{scheme}://{endpoint}"
