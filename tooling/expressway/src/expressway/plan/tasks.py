"""What ECS reports under an Express service, as frozen, typed values: its deployments, the ECS service
itself (task counts, network, events) and the tasks that stopped. The aws layer builds these from
AWS's answers; field names follow the botocore ECS model (`ServiceDeployment`, `Service`, `Task`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from expressway.plan.live import when

# ServiceDeploymentStatus values that end a deployment without it succeeding (botocore ECS model).
DEPLOYMENT_SUCCEEDED = "SUCCESSFUL"
DEPLOYMENT_FAILED = frozenset(
    {"STOPPED", "STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL",
     "ROLLBACK_FAILED"}
)  # fmt: skip
# ServiceDeploymentStatus values after which ECS changes nothing more for the deployment.
DEPLOYMENT_ENDED = frozenset({"SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"})


@dataclass(frozen=True)
class Deployment:
    """One service deployment (DescribeServiceDeployments), as far as a deploy waits on it."""

    arn: str
    status: str  # ServiceDeploymentStatus; PENDING until ECS reports one
    stage: str | None  # lifecycleStage
    reason: str | None
    triggered_alarms: tuple[str, ...]
    created_at: datetime | None
    target_revision: str | None = None  # the service revision it deploys (targetServiceRevision)

    @property
    def succeeded(self) -> bool:
        return self.status == DEPLOYMENT_SUCCEEDED

    @property
    def failed(self) -> bool:
        return self.status in DEPLOYMENT_FAILED

    @property
    def ended(self) -> bool:
        """Over, whatever the outcome: ECS neither rolls forward nor back any more."""
        return self.status in DEPLOYMENT_ENDED

    @classmethod
    def from_describe(cls, document: Mapping[str, Any]) -> Deployment:
        return cls(
            arn=str(document.get("serviceDeploymentArn") or ""),
            status=str(document.get("status") or "PENDING"),
            stage=document.get("lifecycleStage"),
            reason=document.get("statusReason"),
            triggered_alarms=tuple((document.get("alarms") or {}).get("triggeredAlarmNames") or ()),
            created_at=when(document.get("createdAt")),
            target_revision=(document.get("targetServiceRevision") or {}).get("arn")
            or document.get("targetServiceRevisionArn"),
        )


@dataclass(frozen=True)
class ServiceEvent:
    """One line of an ECS service's event log (DescribeServices `events`)."""

    at: datetime | None
    message: str


@dataclass(frozen=True)
class StoppedTask:
    """A task that stopped, and why (DescribeTasks): where image pulls and secrets fail."""

    arn: str
    stopped_at: datetime | None
    stop_code: str | None
    reason: str
    container_reasons: tuple[str, ...]

    @property
    def why(self) -> str:
        parts = [self.reason, *self.container_reasons]
        return "; ".join(p for p in parts if p)

    @classmethod
    def from_describe(cls, document: Mapping[str, Any]) -> StoppedTask:
        return cls(
            arn=str(document.get("taskArn") or ""),
            stopped_at=when(document.get("stoppedAt")),
            stop_code=document.get("stopCode"),
            reason=str(document.get("stoppedReason") or ""),
            container_reasons=tuple(
                f"{c.get('name', 'container')}: {c['reason']}"
                for c in document.get("containers") or ()
                if c.get("reason")
            ),
        )


@dataclass(frozen=True)
class EcsService:
    """The ECS service underneath an Express service (DescribeServices): tasks and network."""

    arn: str
    status: str
    managed: bool  # resourceManagementType ECS: an Express service
    running: int | None
    desired: int | None
    subnets: tuple[str, ...]
    public: bool = False  # tasks get public IPs: Express does that in public subnets (internet-facing ALB)
    events: tuple[ServiceEvent, ...] = ()

    @classmethod
    def from_describe(cls, document: Mapping[str, Any]) -> EcsService:
        network = (document.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        return cls(
            arn=str(document["serviceArn"]),
            status=str(document.get("status") or ""),
            managed=document.get("resourceManagementType") == "ECS",
            running=document.get("runningCount"),
            desired=document.get("desiredCount"),
            subnets=tuple(network.get("subnets") or ()),
            public=network.get("assignPublicIp") == "ENABLED",
            events=tuple(
                ServiceEvent(when(e.get("createdAt")), str(e.get("message") or ""))
                for e in document.get("events") or ()
            ),
        )
