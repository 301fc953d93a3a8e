"""ListServiceDeployments, DescribeServiceDeployments and DescribeServiceRevisions for Express
services (moto 5.2.5 has none of the three)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from . import errors, tasks, views
from .lifecycle import now, resource_status, settle_deployment, settle_service
from .records import Deployment, ExpressService, Revision, store


def _owner(backend: Any, arn: str) -> ExpressService | None:
    """The Express service a deployment or revision ARN belongs to."""
    parts = arn.split(":", 5)[-1].split("/")
    if len(parts) != 4:
        return None
    _, cluster, name, _ = parts
    return store(backend).get(_service_arn(backend, cluster, name))


def _service_arn(backend: Any, cluster: str, name: str) -> str:
    prefix = f"arn:{backend.partition}:ecs:{backend.region_name}:{backend.account_id}"
    return f"{prefix}:service/{cluster}/{name}"


def list_deployments(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    service = str(params["service"])
    parts = service.split(":", 5)[-1].split("/") if service.startswith("arn:") else []
    # a service ARN names its cluster; a bare name lives in `cluster` (default: "default")
    implied = parts[1] if len(parts) == 3 else "default"
    cluster = str(params.get("cluster") or implied).split("/")[-1]
    if cluster not in backend.clusters:
        raise errors.cluster_not_found()
    name = service.split("/")[-1]
    svc = store(backend).get(_service_arn(backend, cluster, name))
    if svc is None:
        if f"{cluster}:{name}" in backend.services:
            return {"serviceDeployments": []}  # a plain ECS service: moto keeps no history
        raise errors.service_not_found()
    settle_service(backend, svc, read=False)
    wanted = set(params.get("status") or [])
    window = params.get("createdAt") or {}
    after, before = _utc(window.get("after")), _utc(window.get("before"))
    found = [
        dep
        for dep in reversed(svc.deployments)  # newest first, as AWS lists them
        if _listed(dep)
        and (not wanted or dep.status in wanted)
        and (after is None or dep.created_at >= after)
        and (before is None or dep.created_at <= before)
    ]
    for dep in svc.deployments:
        dep.hidden_lists = max(0, dep.hidden_lists - 1)  # this answer was one more read
    limit = int(params.get("maxResults") or 20)
    if not 1 <= limit <= 100:
        raise errors.invalid("maxResults must be between 1 and 100.")
    start = int(params.get("nextToken") or 0) if str(params.get("nextToken") or "0").isdigit() else 0
    page = found[start : start + limit]
    result: dict[str, Any] = {"serviceDeployments": [views.deployment_brief(svc, d) for d in page]}
    if start + limit < len(found):
        result["nextToken"] = str(start + limit)
    return result


def _listed(dep: Deployment) -> bool:
    """Whether a list shows the deployment yet (reads are eventually consistent after a create)."""
    return dep.hidden_lists <= 0 or not dep.running


def counts(backend: Any, svc: ExpressService) -> views.Counts:
    """(requested, running, pending) tasks of a revision of `svc`, as the deployment views need them."""

    def of(rev: Revision) -> tuple[int, int, int]:
        wanted = rev.config["scalingTarget"]["minTaskCount"] if svc.status == "ACTIVE" else 0
        mine = tasks.live(backend, svc, rev)
        running = sum(1 for task in mine if task.status == "RUNNING")
        return wanted, running, len(mine) - running

    return of


def _utc(moment: datetime | None) -> datetime | None:
    """moto parses request timestamps as naive UTC; ours are aware."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def describe_deployments(backend: Any, arns: list[str]) -> dict[str, Any]:
    found, failures = [], []
    for arn in arns:
        svc = _owner(backend, arn)
        dep = next((d for d in svc.deployments if d.arn == arn), None) if svc else None
        if svc is None or dep is None:
            failures.append({"arn": arn, "reason": "MISSING"})
            continue
        if dep.hidden_describes > 0 and dep.running:
            dep.hidden_describes -= 1  # not visible to this read yet
            failures.append({"arn": arn, "reason": "MISSING"})
            continue
        settle_deployment(backend, svc, dep, read=True)
        found.append(views.deployment(svc, dep, counts(backend, svc)))
    return {"serviceDeployments": found, "failures": failures}


def describe_revisions(backend: Any, arns: list[str]) -> dict[str, Any]:
    if not 1 <= len(arns) <= 20:
        raise errors.invalid("serviceRevisionArns must hold between 1 and 20 ARNs.")
    found, failures = [], []
    for arn in arns:
        svc = _owner(backend, arn)
        rev = next((r for r in svc.revisions if r.arn == arn), None) if svc else None
        if svc is None or rev is None:
            failures.append({"arn": arn, "reason": "MISSING"})
            continue
        settle_service(backend, svc, read=False)
        if svc.status == "INACTIVE":
            raise errors.invalid("Cannot call DescribeServiceRevisions for a service that is INACTIVE")
        found.append(views.service_revision(svc, rev, resource_status(svc), now()))
    return {"serviceRevisions": found, "failures": failures}
