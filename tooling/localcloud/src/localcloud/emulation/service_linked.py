"""Service-linked roles under their real names. moto 5.2.5 derives a name from the service principal
(`AWSServiceRoleForecs`) and answers a second create with EntityAlreadyExists; IAM names them
AWSServiceRoleForECS, AWSServiceRoleForElasticLoadBalancing and
AWSServiceRoleForApplicationAutoScaling_ECSService, and refuses a second create with InvalidInput
"... has been taken in this account" ("Using service-linked roles for Amazon ECS", Amazon ECS
developer guide; CreateServiceLinkedRole, IAM API reference)."""

from __future__ import annotations

import json
from typing import Any

from moto.iam.exceptions import InvalidInput

NAMES = {
    "ecs.amazonaws.com": "AWSServiceRoleForECS",
    "elasticloadbalancing.amazonaws.com": "AWSServiceRoleForElasticLoadBalancing",
    "ecs.application-autoscaling.amazonaws.com": "AWSServiceRoleForApplicationAutoScaling_ECSService",
}


def create_service_linked_role(original: Any) -> Any:
    """Wrap IAMBackend.create_service_linked_role for the services Express relies on."""

    def method(self: Any, service_name: str, description: str, suffix: str) -> Any:
        name = NAMES.get(service_name)
        if name is None or suffix:
            return original(self, service_name, description, suffix)
        if any(role.name == name for role in self.roles.values()):
            raise InvalidInput(
                f"Service role name {name} has been taken in this account, please try a different suffix."
            )
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": [service_name]}}
            ],
        }
        return self.create_role(
            name,
            json.dumps(trust),
            f"/aws-service-role/{service_name}/",
            permissions_boundary=None,
            description=description,
            tags=[],
            max_session_duration="3600",
            linked_service=service_name,
        )

    return method
