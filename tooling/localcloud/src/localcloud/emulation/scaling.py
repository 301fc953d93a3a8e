"""Application Auto Scaling for an Express service, with moto's own backend: a scalable target on
the ECS service's desired count and one target-tracking policy (which makes its CloudWatch alarms)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.applicationautoscaling.models import applicationautoscaling_backends

NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"
METRICS = {
    "AVERAGE_CPU": "ECSServiceAverageCPUUtilization",
    "AVERAGE_MEMORY": "ECSServiceAverageMemoryUtilization",
    "REQUEST_COUNT_PER_TARGET": "ALBRequestCountPerTarget",
}


@dataclass(frozen=True)
class Scaling:
    """The auto scaling objects that belong to one Express service."""

    resource_id: str  # service/<cluster>/<name>
    target_arn: str
    policy_name: str
    policy_arn: str
    alarm_arns: tuple[str, ...]


def _label(load_balancer_arn: str, target_group_arn: str) -> str:
    """ALBRequestCountPerTarget's resource label: app/<lb>/<id>/targetgroup/<tg>/<id>."""
    return load_balancer_arn.split(":loadbalancer/", 1)[1] + "/" + target_group_arn.split(":", 5)[5]


def apply(
    account_id: str,
    region: str,
    cluster: str,
    name: str,
    config: dict[str, Any],
    serving: tuple[str, str],
    previous: Scaling | None,
) -> Scaling:
    """Register (or update) the scalable target and put the policy for `config["scalingTarget"]`.
    `serving` is (load balancer ARN, serving target group ARN), for request-count scaling."""
    backend = applicationautoscaling_backends[account_id][region]
    target = config["scalingTarget"]
    resource_id = f"service/{cluster}/{name}"
    role = (
        f"arn:aws:iam::{account_id}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_ECSService"
    )
    not_suspended: Any = None  # what moto's own handler passes when SuspendedState is omitted
    registered = backend.register_scalable_target(
        NAMESPACE, resource_id, DIMENSION, target["minTaskCount"], target["maxTaskCount"], role, not_suspended
    )
    metric = METRICS[target["autoScalingMetric"]]
    specification: dict[str, Any] = {"PredefinedMetricType": metric}
    if metric == "ALBRequestCountPerTarget":
        specification["ResourceLabel"] = _label(*serving)
    policy_name = f"{name}{metric}"
    if previous is not None and previous.policy_name != policy_name:
        backend.delete_scaling_policy(previous.policy_name, NAMESPACE, resource_id, DIMENSION)
    policy = backend.put_scaling_policy(
        policy_name=policy_name,
        service_namespace=NAMESPACE,
        resource_id=resource_id,
        scalable_dimension=DIMENSION,
        policy_body={
            "TargetValue": float(target["autoScalingTargetValue"]),
            "PredefinedMetricSpecification": specification,
            "DisableScaleIn": False,
        },
        policy_type="TargetTrackingScaling",
    )
    return Scaling(
        resource_id=resource_id,
        target_arn=str(registered.arn),
        policy_name=policy_name,
        policy_arn=str(policy.policy_arn),
        alarm_arns=tuple(str(alarm.alarm_arn) for alarm in policy.alarms),
    )


def remove(account_id: str, region: str, scaling: Scaling) -> None:
    """Delete the policy (and its alarms) and deregister the scalable target."""
    backend = applicationautoscaling_backends[account_id][region]
    backend.delete_scaling_policy(scaling.policy_name, NAMESPACE, scaling.resource_id, DIMENSION)
    backend.deregister_scalable_target(NAMESPACE, scaling.resource_id, DIMENSION)
