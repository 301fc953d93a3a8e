"""ECS: the cluster, Express Mode services, their deployments and revisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from expressway.aws.session import client, run
from expressway.errors import AwsError, NotFoundError
from expressway.plan.live import LiveService
from expressway.plan.tasks import Deployment, EcsService, ServiceEvent, StoppedTask
from expressway.registry import Environment

# Messages AWS gives while a just-created role is not yet usable: retried (docs/aws-facts.md, section 4).
_PROPAGATION = (
    "cannot assume role",
    "not authorized to perform: sts:assumerole",
    "not able to validate the provided access credentials",
    "unable to assume the service linked role",
    "unable to assume role",
)


def is_propagation_error(error: AwsError) -> bool:
    """True when the failure is IAM eventual consistency right after creating roles."""
    text = error.message.lower()
    return error.code in {"AccessDeniedException", "ClientException", "InvalidParameterException"} and any(
        p in text for p in _PROPAGATION
    )


def _gone(error: AwsError) -> bool:
    """Describe/Delete answers for a service that does not exist (docs/aws-facts.md, section 4)."""
    text = error.message.lower()
    return isinstance(error, NotFoundError) or (
        error.code == "InvalidParameterException" and ("not found" in text or "does not exist" in text)
    )


class Ecs:
    """The ECS calls expressway makes, each wrapped with what it was doing."""

    def __init__(self, env: Environment) -> None:
        self.api = client(env, "ecs")
        # The local cloud serves plain HTTP (it has no certificates); Express endpoints are HTTPS.
        self.url_scheme = "http" if env.endpoint else "https"

    def ensure_cluster(self, name: str) -> bool:
        """Create the cluster unless it is ACTIVE; True when it was created."""
        found = run(f"describe cluster {name}", self.api.describe_clusters, clusters=[name])
        if any(c.get("status") == "ACTIVE" for c in found.get("clusters", [])):
            return False
        run(
            f"create cluster {name}",
            self.api.create_cluster,
            clusterName=name,
            capacityProviders=["FARGATE"],
            defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1, "base": 1}],
        )
        return True

    def describe(self, arn: str, *, tags: bool = False, resources: bool = False) -> LiveService | None:
        """The Express service at `arn`, or None when it does not exist. With `resources`, also what
        Express manages for its active revisions (DescribeServiceRevisions: ALB, rules, statuses)."""
        extra = {"include": ["TAGS"]} if tags else {}
        try:
            found = run(
                f"describe express service {arn.rsplit('/', 1)[-1]}",
                self.api.describe_express_gateway_service,
                serviceArn=arn,
                **extra,
            )
        except AwsError as exc:
            if _gone(exc):
                return None
            raise
        document: dict[str, Any] = found["service"]
        revisions = None
        if resources:
            arns = [c["serviceRevisionArn"] for c in document.get("activeConfigurations") or ()
                    if c.get("serviceRevisionArn")]  # fmt: skip
            revisions = self._revisions(arns) if arns and document.get("status", {}).get(
                "statusCode") != "INACTIVE" else []  # fmt: skip
        return LiveService.from_describe(document, url_scheme=self.url_scheme, revisions=revisions)

    def create(self, request: dict[str, Any]) -> LiveService:
        found = run(
            f"create express service {request['serviceName']}",
            self.api.create_express_gateway_service,
            **request,
        )
        return LiveService.from_describe(found["service"], url_scheme=self.url_scheme)

    def update(self, request: dict[str, Any]) -> str | None:
        """Update the service; the deployment this started, when the answer names one already."""
        name = request["serviceArn"].rsplit("/", 1)[-1]
        found = run(f"update express service {name}", self.api.update_express_gateway_service, **request)
        current: str | None = found["service"].get("currentDeployment")
        return current

    def delete(self, arn: str) -> bool:
        """Delete the Express service; False when it was already gone or being deleted."""
        try:
            run(
                f"delete express service {arn.rsplit('/', 1)[-1]}",
                self.api.delete_express_gateway_service,
                serviceArn=arn,
            )
        except AwsError as exc:
            if _gone(exc) or exc.code == "ServiceNotActiveException":
                return False
            raise
        return True

    def deployments(self, cluster: str, service_arn: str, after: datetime | None) -> list[Deployment]:
        """Deployments of the service, newest first, optionally only those created after `after`.

        Filtered here rather than with the API's createdAt filter, so a clock that disagrees about
        time zones cannot hide a deployment.
        """
        found = run(
            "list service deployments",
            self.api.list_service_deployments,
            cluster=cluster,
            service=service_arn,
        )
        items = [Deployment.from_describe(d) for d in found.get("serviceDeployments", [])]
        fresh = [d for d in items if after is None or d.created_at is None or d.created_at >= after]
        return sorted(fresh, key=lambda d: str(d.created_at or ""), reverse=True)

    def deployment(self, arn: str) -> Deployment | None:
        """One deployment's details; None while ECS does not report it yet (eventual consistency)."""
        found = run(
            "describe service deployment", self.api.describe_service_deployments, serviceDeploymentArns=[arn]
        )
        items = found.get("serviceDeployments", [])
        return Deployment.from_describe(items[0]) if items else None

    def _revisions(self, arns: list[str]) -> list[dict[str, Any]]:
        found = run(
            "describe service revisions", self.api.describe_service_revisions, serviceRevisionArns=arns
        )
        items: list[dict[str, Any]] = found.get("serviceRevisions", [])
        return items

    def _express_arns(self, cluster: str) -> list[str]:
        """ARNs of the Express (ECS-managed) services in `cluster`, every page."""
        return self._all(
            "list services",
            self.api.list_services,
            "serviceArns",
            cluster=cluster,
            resourceManagementType="ECS",
        )

    def clusters(self) -> list[str]:
        """Every cluster ARN of the region, every page."""
        return self._all("list clusters", self.api.list_clusters, "clusterArns")

    def _all(self, what: str, call: Any, key: str, **params: Any) -> list[str]:
        """Every item of a list call that pages with nextToken (100 at most per page)."""
        found: list[str] = []
        token: str | None = None
        while True:
            page = run(what, call, maxResults=100, **params, **({"nextToken": token} if token else {}))
            found += page.get(key, [])
            token = page.get("nextToken")
            if not token:
                return found

    def events(self, cluster: str, service_arn: str, limit: int = 10) -> list[ServiceEvent]:
        """The ECS service's newest events (task placement, health, failures), newest first."""
        found = self.services(cluster, [service_arn]).get(service_arn)
        return list(found.events[:limit]) if found else []

    def stopped_tasks(
        self, cluster: str, service_name: str, since: datetime | None = None
    ) -> list[StoppedTask]:
        """Tasks of the service that stopped (after `since`), with ECS's reason: image pulls, secrets,
        architecture and essential-container exits show here and nowhere else."""
        arns = self._all(
            "list stopped tasks", self.api.list_tasks, "taskArns", cluster=cluster, serviceName=service_name,
            desiredStatus="STOPPED",
        )  # fmt: skip
        tasks: list[StoppedTask] = []
        for start in range(0, len(arns), 100):
            page = run(
                "describe tasks", self.api.describe_tasks, cluster=cluster, tasks=arns[start : start + 100]
            )
            tasks += [StoppedTask.from_describe(t) for t in page.get("tasks", [])]
        fresh = [t for t in tasks if since is None or t.stopped_at is None or t.stopped_at >= since]
        return sorted(fresh, key=lambda t: str(t.stopped_at or ""), reverse=True)

    def in_cluster(self, cluster: str) -> list[LiveService]:
        """Every Express service of `cluster` that is not deleted, with its tags (a deploy looks for
        one that expressway created under another name)."""
        try:
            arns = self._express_arns(cluster)
        except NotFoundError:
            return []
        found = [self.describe(arn, tags=True) for arn in arns]
        return [service for service in found if service is not None and not service.gone]

    def express_services(self) -> list[EcsService]:
        """Every active Express (ECS-managed) service in every cluster of the region."""
        found: list[EcsService] = []
        for cluster in self.clusters():
            arns = self._express_arns(cluster)
            found += [s for s in self.services(cluster, arns).values() if s.managed and s.status == "ACTIVE"]
        return found

    def services(self, cluster: str, arns: list[str]) -> dict[str, EcsService]:
        """DescribeServices for `arns` (in pages of 10), by service ARN: task counts, network."""
        found: dict[str, EcsService] = {}
        for start in range(0, len(arns), 10):
            page = run(
                "describe services",
                self.api.describe_services,
                cluster=cluster,
                services=arns[start : start + 10],
            )
            found.update({s["serviceArn"]: EcsService.from_describe(s) for s in page.get("services", [])})
        return found
