"""Service Quotas: the account's Fargate On-Demand vCPU quota (a fleet at its maximum must fit in it)."""

from __future__ import annotations

from expressway.aws.session import client, run
from expressway.errors import AwsError
from expressway.registry import Environment

# "Fargate On-Demand vCPU resource count" (Service Quotas, service code `fargate`).
FARGATE_VCPU = ("fargate", "L-3032A538")


class ServiceQuotas:
    def __init__(self, env: Environment) -> None:
        self.api = client(env, "service-quotas")

    def fargate_vcpus(self) -> float | None:
        """How many Fargate vCPUs may run at once in the region; None when it cannot be read."""
        service, quota = FARGATE_VCPU
        try:
            found = run(
                "read the Fargate vCPU quota",
                self.api.get_service_quota,
                ServiceCode=service,
                QuotaCode=quota,
            )
        except AwsError:
            return None
        return float(found["Quota"]["Value"])
