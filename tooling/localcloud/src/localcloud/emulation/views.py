"""Emulator records rendered as the ECS API's output shapes (moto drops keys the shape lacks)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .records import Deployment, ExpressService, Revision
from .scaling import METRICS


def configuration(svc: ExpressService, revision: Revision) -> dict[str, Any]:
    """An ExpressGatewayServiceConfiguration."""
    return {
        "serviceRevisionArn": revision.arn,
        **copy.deepcopy(revision.config),
        "taskDefinitionArn": revision.task_definition_arn,
        "ingressPaths": [{"accessType": svc.access_type, "endpoint": svc.ingress.endpoint}],
        "createdAt": revision.created_at,
    }


def active_revisions(svc: ExpressService) -> list[Revision]:
    """The serving revision, plus the target of a deployment still in progress."""
    latest = svc.deployments[-1] if svc.deployments else None
    if latest is not None and latest.status == "IN_PROGRESS" and latest.target is not svc.serving:
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


def _revision_summary(svc: ExpressService, rev: Revision, weight: float) -> dict[str, Any]:
    desired = rev.config["scalingTarget"]["minTaskCount"] if svc.status == "ACTIVE" else 0
    running = desired if weight else 0
    return {
        "arn": rev.arn,
        "requestedTaskCount": desired,
        "runningTaskCount": running,
        "pendingTaskCount": desired - running,
        "requestedTestTrafficWeight": 0.0,
        "requestedProductionTrafficWeight": weight,
    }


def deployment_brief(svc: ExpressService, dep: Deployment) -> dict[str, Any]:
    """A ServiceDeploymentBrief (ListServiceDeployments)."""
    brief: dict[str, Any] = {
        "serviceDeploymentArn": dep.arn,
        "serviceArn": svc.arn,
        "clusterArn": svc.cluster_arn,
        "startedAt": dep.created_at,
        "createdAt": dep.created_at,
        "targetServiceRevisionArn": dep.target.arn,
        "status": dep.status,
    }
    if dep.finished_at is not None:
        brief["finishedAt"] = dep.finished_at
    if dep.status == "ROLLBACK_SUCCESSFUL" and dep.failure:
        brief["statusReason"] = dep.failure
    return brief


def deployment(svc: ExpressService, dep: Deployment) -> dict[str, Any]:
    """A ServiceDeployment (DescribeServiceDeployments)."""
    done = dep.status != "IN_PROGRESS"
    target_weight = 100.0 if dep.status == "SUCCESSFUL" else 0.0
    view: dict[str, Any] = {
        **deployment_brief(svc, dep),
        "updatedAt": dep.finished_at or dep.created_at,
        "sourceServiceRevisions": (
            [_revision_summary(svc, dep.source, 100.0 - target_weight)] if dep.source else []
        ),
        "targetServiceRevision": _revision_summary(svc, dep.target, target_weight),
        "lifecycleStage": "CLEAN_UP" if done else "PRODUCTION_TRAFFIC_SHIFT",
        "deploymentCircuitBreaker": {
            "status": "TRIGGERED" if dep.status == "ROLLBACK_SUCCESSFUL" else "MONITORING",
            "failureCount": 1 if dep.status == "ROLLBACK_SUCCESSFUL" else 0,
            "threshold": 3,
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
        view["statusReason"] = "The service was deleted."
    return view


def service_revision(
    svc: ExpressService, rev: Revision, resource_status: str, now: datetime
) -> dict[str, Any]:
    """A ServiceRevision (DescribeServiceRevisions), with ecsManagedResources.ingressPaths."""
    ingress = svc.ingress
    config = rev.config
    container = config.get("primaryContainer") or {}
    port = int(container.get("containerPort", 80))
    account, region = svc.arn.split(":")[4], svc.arn.split(":")[3]
    sg_arn = f"arn:aws:ec2:{region}:{account}:security-group/"

    def managed(arn: str | None = None, **extra: Any) -> dict[str, Any]:
        item: dict[str, Any] = {"status": resource_status, "updatedAt": now, **extra}
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
                        scheme="internet-facing" if svc.access_type == "PUBLIC" else "internal",
                        subnetIds=list(network["subnets"]),
                        securityGroupIds=[ingress.load_balancer_security_group],
                    ),
                    "loadBalancerSecurityGroups": [managed(sg_arn + ingress.load_balancer_security_group)],
                    "certificate": managed(ingress.certificate_arn, domainName=ingress.certificate_domain),
                    "listener": managed(ingress.listener_arn),
                    "rule": managed(ingress.rule_arn),
                    "targetGroups": [
                        managed(
                            arn,
                            healthCheckPath=config["healthCheckPath"],
                            healthCheckPort=port,
                            port=port,
                        )
                        for arn in ingress.target_group_arns
                    ],
                }
            ],
            "autoScaling": _auto_scaling(svc, scaling, managed),
            "metricAlarms": [managed(arn) for arn in (svc.scaling.alarm_arns if svc.scaling else ())],
            "serviceSecurityGroups": [managed(sg_arn + svc.service_security_group)],
            "logGroups": [managed(svc.log_group_arn, logGroupName=svc.log_group)],
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
            minCapacity=scaling["minTaskCount"],
            maxCapacity=scaling["maxTaskCount"],
        ),
        "applicationAutoScalingPolicies": [
            managed(
                objects.policy_arn if objects else None,
                policyType="TargetTrackingScaling",
                targetValue=float(scaling["autoScalingTargetValue"]),
                metric=METRICS[scaling["autoScalingMetric"]],
            )
        ],
    }
