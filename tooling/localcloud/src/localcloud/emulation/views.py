"""Emulator records rendered as the ECS API's output shapes (moto drops keys the shape lacks)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .records import Deployment, ExpressService, Revision
from .scaling import METRICS
from .tasks import breaker_threshold

# (requested, running, pending) task counts of a revision
Counts = Callable[[Revision], tuple[int, int, int]]


def configuration(svc: ExpressService, revision: Revision) -> dict[str, Any]:
    """An ExpressGatewayServiceConfiguration, as AWS answers it: environment variables and secrets
    sorted by name (not in the request's order), the service's managed security group first."""
    config = copy.deepcopy(revision.config)
    container = config.get("primaryContainer") or {}
    for key in ("environment", "secrets"):
        if container.get(key):
            container[key] = sorted(container[key], key=lambda item: str(item.get("name", "")))
    network = config.get("networkConfiguration") or {}
    groups = list(network.get("securityGroups") or [])
    if svc.service_security_group in groups:
        groups.remove(svc.service_security_group)
        network["securityGroups"] = [svc.service_security_group, *groups]
    return {
        "serviceRevisionArn": revision.arn,
        **config,
        "taskDefinitionArn": revision.task_definition_arn,
        "ingressPaths": [{"accessType": svc.access_type, "endpoint": svc.ingress.endpoint}],
        "createdAt": revision.created_at,
    }


def active_revisions(svc: ExpressService) -> list[Revision]:
    """The serving revision, plus the target of a deployment still running."""
    latest = svc.deployments[-1] if svc.deployments else None
    if latest is not None and latest.running and latest.target is not svc.serving:
        return [svc.serving, latest.target]
    return [svc.serving]


def express_service(svc: ExpressService, *, tags: bool, deployment: bool = True) -> dict[str, Any]:
    """An ECSExpressGatewayService (Create, Describe and Delete responses)."""
    view: dict[str, Any] = {
        "cluster": svc.cluster_arn,
        "serviceName": svc.name,
        "serviceArn": svc.arn,
        "infrastructureRoleArn": svc.infrastructure_role_arn,
        "status": _status(svc),
        "activeConfigurations": [configuration(svc, rev) for rev in active_revisions(svc)],
        "createdAt": svc.created_at,
        "updatedAt": svc.updated_at,
    }
    if deployment and svc.deployments:
        view["currentDeployment"] = svc.latest.arn
    if tags:
        view["tags"] = copy.deepcopy(svc.tags)
    return view


def updated_service(svc: ExpressService, target: Revision) -> dict[str, Any]:
    """An UpdatedExpressGatewayService (the Update response)."""
    return {
        "serviceArn": svc.arn,
        "cluster": svc.cluster_arn,
        "serviceName": svc.name,
        "status": _status(svc),
        "targetConfiguration": configuration(svc, target),
        "createdAt": svc.created_at,
        "updatedAt": svc.updated_at,
    }


def _status(svc: ExpressService) -> dict[str, Any]:
    status: dict[str, Any] = {"statusCode": svc.status}
    if svc.status_reason:
        status["statusReason"] = svc.status_reason
    return status


def _revision_summary(rev: Revision, weight: float, counts: Counts) -> dict[str, Any]:
    requested, running, pending = counts(rev)
    return {
        "arn": rev.arn,
        "requestedTaskCount": requested,
        "runningTaskCount": running,
        "pendingTaskCount": pending,
        "requestedTestTrafficWeight": 0.0,
        "requestedProductionTrafficWeight": weight,
    }


def deployment_brief(svc: ExpressService, dep: Deployment) -> dict[str, Any]:
    """A ServiceDeploymentBrief (ListServiceDeployments)."""
    brief: dict[str, Any] = {
        "serviceDeploymentArn": dep.arn,
        "serviceArn": svc.arn,
        "clusterArn": svc.cluster_arn,
        "createdAt": dep.created_at,
        "targetServiceRevisionArn": dep.target.arn,
        "status": dep.status,
    }
    if dep.started_at is not None:
        brief["startedAt"] = dep.started_at
    if dep.finished_at is not None:
        brief["finishedAt"] = dep.finished_at
    if dep.status in ("ROLLBACK_SUCCESSFUL", "STOPPED") and dep.failure:
        brief["statusReason"] = dep.failure
    return brief


def deployment(svc: ExpressService, dep: Deployment, counts: Counts) -> dict[str, Any]:
    """A ServiceDeployment (DescribeServiceDeployments)."""
    target_weight = 100.0 if dep.status == "SUCCESSFUL" else 0.0
    tripped = dep.failure is not None and dep.failed_tasks > 0
    stage = {"PENDING": "RECONCILE_SERVICE", "IN_PROGRESS": "PRODUCTION_TRAFFIC_SHIFT"}.get(
        dep.status, "CLEAN_UP"
    )
    view: dict[str, Any] = {
        **deployment_brief(svc, dep),
        "updatedAt": dep.finished_at or dep.started_at or dep.created_at,
        "sourceServiceRevisions": (
            [_revision_summary(dep.source, 100.0 - target_weight, counts)] if dep.source else []
        ),
        "targetServiceRevision": _revision_summary(dep.target, target_weight, counts),
        "lifecycleStage": stage,
        "deploymentCircuitBreaker": {
            "status": "TRIGGERED" if tripped or dep.status == "ROLLBACK_SUCCESSFUL" else "MONITORING",
            "failureCount": dep.failed_tasks or (1 if dep.status == "ROLLBACK_SUCCESSFUL" else 0),
            "threshold": breaker_threshold(dep.target.config["scalingTarget"]["minTaskCount"]),
        },
    }
    view.pop("targetServiceRevisionArn")
    if dep.status == "ROLLBACK_SUCCESSFUL" and dep.source is not None:
        view["rollback"] = {
            "reason": dep.failure,
            "startedAt": dep.finished_at,
            "serviceRevisionArn": dep.source.arn,
        }
    if dep.status == "STOPPED":
        view["stoppedAt"] = dep.finished_at
    return view


def service_revision(
    svc: ExpressService, rev: Revision, resource_status: str, now: datetime
) -> dict[str, Any]:
    """A ServiceRevision (DescribeServiceRevisions), with ecsManagedResources.ingressPaths."""
    ingress = svc.ingress
    config = rev.config
    container = config.get("primaryContainer") or {}
    port = int(container.get("containerPort", 80))
    partition, region, account = svc.arn.split(":")[1], svc.arn.split(":")[3], svc.arn.split(":")[4]
    sg_arn = f"arn:{partition}:ec2:{region}:{account}:security-group/"

    def managed(arn: str | None = None, *, kind: str, **extra: Any) -> dict[str, Any]:
        item: dict[str, Any] = {"status": resource_status, "updatedAt": now, **extra}
        failed = svc.failed_resources.get(kind)
        if failed is not None and resource_status in ("ACTIVE", "PROVISIONING"):
            item.update(status="FAILED", statusReason=failed)
        if arn:
            item["arn"] = arn
        return item

    network = config["networkConfiguration"]
    scaling = config["scalingTarget"]
    return {
        "serviceRevisionArn": rev.arn,
        "serviceArn": svc.arn,
        "clusterArn": svc.cluster_arn,
        "taskDefinition": rev.task_definition_arn,
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}],
        "platformVersion": "1.4.0",
        "platformFamily": "Linux",
        "loadBalancers": [
            {"targetGroupArn": rev.target_group_arn, "containerName": "Main", "containerPort": port}
        ],
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": list(network["subnets"]),
                "securityGroups": list(network["securityGroups"]),
                "assignPublicIp": "ENABLED" if svc.access_type == "PUBLIC" else "DISABLED",
            }
        },
        "containerImages": [{"containerName": "Main", "image": container.get("image", "")}],
        "guardDutyEnabled": False,
        "createdAt": rev.created_at,
        "resolvedConfiguration": {
            "loadBalancers": [
                {"targetGroupArn": rev.target_group_arn, "productionListenerRule": ingress.rule_arn}
            ]
        },
        "ecsManagedResources": {
            "ingressPaths": [
                {
                    "accessType": svc.access_type,
                    "endpoint": ingress.endpoint,
                    "loadBalancer": managed(
                        ingress.load_balancer_arn,
                        kind="loadBalancer",
                        scheme="internet-facing" if svc.access_type == "PUBLIC" else "internal",
                        subnetIds=list(network["subnets"]),
                        securityGroupIds=[ingress.load_balancer_security_group],
                    ),
                    "loadBalancerSecurityGroups": [
                        managed(
                            sg_arn + ingress.load_balancer_security_group, kind="loadBalancerSecurityGroups"
                        )
                    ],
                    "certificate": managed(
                        ingress.certificate_arn, kind="certificate", domainName=ingress.certificate_domain
                    ),
                    "listener": managed(ingress.listener_arn, kind="listener"),
                    "rule": managed(ingress.rule_arn, kind="rule"),
                    "targetGroups": [
                        managed(
                            arn,
                            kind="targetGroups",
                            healthCheckPath=config["healthCheckPath"],
                            healthCheckPort=port,
                            port=port,
                        )
                        for arn in ingress.target_group_arns
                    ],
                }
            ],
            "autoScaling": _auto_scaling(svc, scaling, managed),
            "metricAlarms": [
                managed(arn, kind="metricAlarms") for arn in (svc.scaling.alarm_arns if svc.scaling else ())
            ],
            "serviceSecurityGroups": [
                managed(sg_arn + svc.service_security_group, kind="serviceSecurityGroups")
            ],
            "logGroups": [managed(svc.log_group_arn, kind="logGroups", logGroupName=svc.log_group)],
        },
    }


def _auto_scaling(
    svc: ExpressService, scaling: dict[str, Any], managed: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    """ManagedAutoScaling: the scalable target and policy (with ARNs while they exist)."""
    objects = svc.scaling
    return {
        "scalableTarget": managed(
            objects.target_arn if objects else None,
            kind="scalableTarget",
            minCapacity=scaling["minTaskCount"],
            maxCapacity=scaling["maxTaskCount"],
        ),
        "applicationAutoScalingPolicies": [
            managed(
                objects.policy_arn if objects else None,
                kind="applicationAutoScalingPolicies",
                policyType="TargetTrackingScaling",
                targetValue=float(scaling["autoScalingTargetValue"]),
                metric=METRICS[scaling["autoScalingMetric"]],
            )
        ],
    }
