"""Service Quotas for Fargate: moto 5.2.5 answers only VPC quotas (`NoSuchResourceException` for the
rest); the emulation adds the one a deploy checks, the Fargate On-Demand vCPU quota, set by
`configure(fargate_vcpus=...)`."""

from __future__ import annotations

from typing import Any

from .config import current_config

FARGATE_VCPU = ("fargate", "L-3032A538")


def fargate_quota(region: str, account: str) -> dict[str, Any]:
    service, code = FARGATE_VCPU
    return {
        "ServiceCode": service,
        "ServiceName": "AWS Fargate",
        "QuotaArn": f"arn:aws:servicequotas:{region}:{account}:{service}/{code}",
        "QuotaCode": code,
        "QuotaName": "Fargate On-Demand vCPU resource count",
        "Value": float(current_config().fargate_vcpus),
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
    }


def get_service_quota(original: Any) -> Any:
    """Wrap ServiceQuotasBackend.get_service_quota: the Fargate vCPU quota, else moto's answer."""

    def method(self: Any, service_code: str, quota_code: str) -> dict[str, Any]:
        if (service_code, quota_code) == FARGATE_VCPU:
            return fargate_quota(self.region_name, self.account_id)
        result: dict[str, Any] = original(self, service_code, quota_code)
        return result

    return method
