"""VPC, subnets, security groups, log groups and certificates, built with moto's own backends."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Any

from moto.acm.models import TagHolder, acm_backends
from moto.acm.utils import make_arn_for_certificate
from moto.core.utils import utcnow
from moto.ec2.models import ec2_backends
from moto.iam.models import iam_backends
from moto.logs.models import logs_backends
from moto.moto_api._internal import mock_random

from .errors import invalid

MANAGED_TAG = {"AmazonECSManaged": "true"}


@dataclass(frozen=True)
class Placement:
    """Where a service runs: its VPC, its subnets and whether they are public."""

    vpc_id: str
    subnet_ids: tuple[str, ...]
    public: bool

    @property
    def scheme(self) -> str:
        return "internet-facing" if self.public else "internal"

    @property
    def access_type(self) -> str:
        return "PUBLIC" if self.public else "PRIVATE"


def _ec2(account_id: str, region: str) -> Any:
    return ec2_backends[account_id][region]


def resolve_placement(account_id: str, region: str, subnet_ids: list[str] | None) -> Placement:
    """The given subnets (all in one VPC, all public or all private) or the default VPC's."""
    ec2 = _ec2(account_id, region)
    if not subnet_ids:
        defaults = sorted(ec2.get_default_subnets().values(), key=lambda s: s.availability_zone)
        if not defaults:
            raise invalid("No subnets were specified and the account has no default VPC.")
        subnet_ids = [subnet.id for subnet in defaults]
    subnets = []
    for subnet_id in subnet_ids:
        try:
            subnets.append(ec2.get_subnet(subnet_id))
        except Exception:  # moto raises its own InvalidSubnetID.NotFound error type
            raise invalid(
                f"Error retrieving subnet information for [{subnet_id}]: The subnet ID "
                f"'{subnet_id}' does not exist (ErrorCode: InvalidSubnetID.NotFound)"
            ) from None
    vpcs = sorted({subnet.vpc_id for subnet in subnets})
    if len(vpcs) > 1:
        raise invalid(f"All subnets must belong to the same VPC; got subnets in {', '.join(vpcs)}.")
    public = {_is_public(ec2, subnet) for subnet in subnets}
    if len(public) > 1:
        raise invalid("Subnets must be all public or all private; a mix was given.")
    return Placement(vpcs[0], tuple(subnet_ids), public.pop())


def _is_public(ec2: Any, subnet: Any) -> bool:
    """Public = routed to an internet gateway. moto's default VPC has no gateway (AWS's has),
    so subnets that auto-assign public IPs (the default ones do) count as public as well."""
    tables = ec2.describe_route_tables(filters={"association.subnet-id": [subnet.id]})
    if not tables:
        tables = ec2.describe_route_tables(filters={"association.main": ["true"], "vpc-id": [subnet.vpc_id]})
    for table in tables:
        routes = table.routes.values() if isinstance(table.routes, dict) else table.routes
        for route in routes:
            gateway = getattr(route, "gateway", None)
            if gateway is not None and str(getattr(gateway, "id", "")).startswith("igw-"):
                return True
    return str(subnet.map_public_ip_on_launch).lower() == "true"


def check_security_groups(account_id: str, region: str, vpc_id: str, group_ids: list[str]) -> None:
    ec2 = _ec2(account_id, region)
    for group_id in group_ids:
        group = ec2.get_security_group_from_id(group_id)
        if group is None:
            raise invalid(
                f"Error retrieving security group information for [{group_id}]: The security "
                f"group '{group_id}' does not exist (ErrorCode: InvalidGroup.NotFound)"
            )
        if group.vpc_id != vpc_id:
            raise invalid(f"Security group {group_id} is not in the service's VPC {vpc_id}.")


def create_security_group(account_id: str, region: str, vpc_id: str, name: str, purpose: str) -> str:
    group = _ec2(account_id, region).create_security_group(
        name=name, description=purpose, vpc_id=vpc_id, tags=dict(MANAGED_TAG)
    )
    return str(group.id)


def allow_ingress(account_id: str, region: str, group_id: str, port: int, source: str) -> None:
    """Let `source` (a CIDR or a security group id) reach `port` over TCP."""
    peer: dict[str, Any] = (
        {"ip_ranges": [{"CidrIp": source}], "source_groups": []}
        if "/" in source
        else {"ip_ranges": [], "source_groups": [{"GroupId": source}]}
    )
    _ec2(account_id, region).authorize_security_group_ingress(
        group_name_or_id=group_id, ip_protocol="tcp", from_port=port, to_port=port, **peer
    )


def delete_security_group(account_id: str, region: str, group_id: str) -> None:
    _ec2(account_id, region).delete_security_group(group_id=group_id)


def ensure_log_group(account_id: str, region: str, name: str) -> str:
    logs = logs_backends[account_id][region]
    if name not in logs.groups:
        logs.create_log_group(name, dict(MANAGED_TAG))
    return str(logs.groups[name].arn)


_CERTIFICATES: dict[tuple[str, str, str], Any] = {}  # (account, region, domain) -> template
_CERTIFICATES_LOCK = threading.Lock()


def request_certificate(account_id: str, region: str, domain: str) -> str:
    """An ACM certificate for `domain`, as RequestCertificate makes it.

    moto generates and re-parses a 2048-bit RSA key per certificate (~0.2 s, most of a create);
    the key material of the first certificate per domain is reused for later ones, each still
    its own ACM certificate with its own ARN, tags and dates.
    """
    acm = acm_backends[account_id][region]
    key = (account_id, region, domain)
    with _CERTIFICATES_LOCK:
        template = _CERTIFICATES.get(key)
        if template is None:
            arn = acm.request_certificate(
                domain_name=domain,
                idempotency_token=mock_random.get_random_hex(16),  # unique: never reuse a certificate
                subject_alt_names=[],
                tags=_acm_tags(),
            )
            _CERTIFICATES[key] = copy.copy(acm.get_certificate(arn))
            return str(arn)
    bundle = copy.copy(template)
    bundle.arn = make_arn_for_certificate(account_id, region)
    bundle.created_at = utcnow()
    bundle.in_use_by = []
    bundle.cert_options = dict(template.cert_options)
    bundle.tags = TagHolder()
    bundle.tags.add(_acm_tags())
    acm._certificates[bundle.arn] = bundle
    return str(bundle.arn)


def _acm_tags() -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in MANAGED_TAG.items()]


def delete_certificate(account_id: str, region: str, arn: str) -> None:
    acm_backends[account_id][region].delete_certificate(arn)


def role_exists(account_id: str, partition: str, arn: str) -> bool:
    try:
        iam_backends[account_id][partition].get_role_by_arn(arn)
    except Exception:  # moto's NotFoundException
        return False
    return True
