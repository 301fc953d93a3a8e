"""The shared Application Load Balancer: one per VPC and scheme, up to N services each, built
from real moto ELBv2 objects so tests can read it back with plain boto3."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.elbv2.models import elbv2_backends
from moto.moto_api._internal import mock_random

from . import network
from .network import MANAGED_TAG, Placement

ALB_PREFIX = "ecs-express-gateway-alb-"
TG_PREFIX = "ecs-gateway-tg-"
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
_TAGS = [{"Key": key, "Value": value} for key, value in MANAGED_TAG.items()]
_NOT_FOUND = {
    "Type": "fixed-response",
    "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": ""},
}


@dataclass(frozen=True)
class Ingress:
    """One service's way in: its ALB, listener, host rule, target groups and certificate."""

    load_balancer_arn: str
    listener_arn: str
    rule_arn: str
    target_group_arns: tuple[str, str]  # (serving, standby): the two an Express canary swaps
    certificate_arn: str  # the ALB's certificate, which covers every endpoint on it
    load_balancer_security_group: str
    endpoint: str  # what Describe reports, e.g. "se-<32 hex>.ecs.<region>.on.aws"
    domain: str  # what the host-header rule matches (the endpoint without a port)
    certificate_domain: str  # "*.<parent of domain>"


def _elbv2(account_id: str, region: str) -> Any:
    return elbv2_backends[account_id][region]


def _managed_albs(elb: Any, placement: Placement) -> list[Any]:
    found = []
    for lb in elb.load_balancers.values():
        tags = elb.tagging_service.get_tag_dict_for_resource(lb.arn)
        if (
            lb.name.startswith(ALB_PREFIX)
            and tags.get("AmazonECSManaged") == "true"
            and lb.vpc_id == placement.vpc_id
            and lb.scheme == placement.scheme
        ):
            found.append(lb)
    return found


def attach(
    account_id: str,
    region: str,
    placement: Placement,
    users: dict[str, int],
    limit: int,
    endpoint: str,
    port: int,
    health_check_path: str,
) -> Ingress:
    """Route `endpoint` to two new target groups on a shared ALB with room (`users` counts the
    live services per ALB ARN), creating the ALB first when every one in the VPC is full."""
    elb = _elbv2(account_id, region)
    lb = next(
        (lb for lb in _managed_albs(elb, placement) if users.get(lb.arn, 0) < limit),
        None,
    )
    if lb is None:
        lb = _create_alb(account_id, region, placement, endpoint)
    listener = next(li for li in lb.listeners.values() if str(li.port) == "443")
    domain = endpoint.split(":", 1)[0]
    groups = tuple(
        elb.create_target_group(
            f"{TG_PREFIX}{mock_random.get_random_hex(12)}",
            vpc_id=placement.vpc_id,
            protocol="HTTP",
            protocol_version="HTTP1",
            port=port,
            healthcheck_protocol="HTTP",
            healthcheck_port="traffic-port",
            healthcheck_path=health_check_path,
            healthcheck_interval_seconds=30,
            healthcheck_timeout_seconds=5,
            healthy_threshold_count="5",
            unhealthy_threshold_count="2",
            matcher={"HttpCode": "200"},
            target_type="ip",
            ip_address_type="ipv4",
            tags=_TAGS,
        ).arn
        for _ in range(2)
    )
    used = {int(rule.priority) for rule in listener.rules.values() if str(rule.priority).isdigit()}
    priority = next(p for p in range(1, 50001) if p not in used)
    rule = elb.create_rule(
        listener.arn,
        conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [domain]}}],
        priority=priority,
        actions=[forward(groups[0], groups[1])],
        tags=_TAGS,
    )
    # AWS requests one certificate per endpoint; the emulator shares the ALB's wildcard one,
    # because moto generates a real RSA key per certificate (~0.2 s each).
    certificate = listener.certificate
    return Ingress(
        load_balancer_arn=lb.arn,
        listener_arn=listener.arn,
        rule_arn=rule.arn,
        target_group_arns=(groups[0], groups[1]),
        certificate_arn=certificate,
        load_balancer_security_group=lb.security_groups[0],
        endpoint=endpoint,
        domain=domain,
        certificate_domain=wildcard(domain),
    )


def wildcard(domain: str) -> str:
    """The certificate name that covers `domain` and its siblings: "*.<parent>"."""
    return "*." + domain.split(".", 1)[1]


def forward(serving: str, standby: str) -> dict[str, Any]:
    """All traffic to `serving`, none to `standby` (the state between two canary deployments)."""
    return {
        "Type": "forward",
        "ForwardConfig": {
            "TargetGroups": [
                {"TargetGroupArn": serving, "Weight": 100},
                {"TargetGroupArn": standby, "Weight": 0},
            ]
        },
    }


def route_to(account_id: str, region: str, ingress: Ingress, serving: str) -> None:
    """Point the service's rule at `serving` (one of its two target groups)."""
    standby = next(arn for arn in ingress.target_group_arns if arn != serving)
    rule = _elbv2(account_id, region).describe_rules(None, [ingress.rule_arn])[0]
    rule.actions[0].data["ForwardConfig"] = forward(serving, standby)["ForwardConfig"]
    rule.actions[0].__dict__.update(rule.actions[0].data)


def set_health_check_path(account_id: str, region: str, ingress: Ingress, path: str) -> None:
    for arn in ingress.target_group_arns:
        _elbv2(account_id, region).modify_target_group(arn, health_check_path=path)


def _create_alb(account_id: str, region: str, placement: Placement, endpoint: str) -> Any:
    suffix = mock_random.get_random_hex(8)
    group = network.create_security_group(
        account_id,
        region,
        placement.vpc_id,
        f"ecs-express-gateway-alb-sg-{suffix}",
        "Load balancer security group managed by Amazon ECS Express Mode",
    )
    for port in (80, 443):
        network.allow_ingress(account_id, region, group, port, "0.0.0.0/0")
    elb = _elbv2(account_id, region)
    lb = elb.create_load_balancer(
        name=f"{ALB_PREFIX}{suffix}",
        security_groups=[group],
        subnet_ids=list(placement.subnet_ids),
        scheme=placement.scheme,
        loadbalancer_type="application",
        tags=list(_TAGS),
    )
    default_certificate = network.request_certificate(account_id, region, wildcard(endpoint.split(":", 1)[0]))
    elb.create_listener(
        lb.arn, "HTTPS", "443", SSL_POLICY, default_certificate, [_NOT_FOUND], tags=list(_TAGS)
    )
    return lb


def detach(account_id: str, region: str, ingress: Ingress, last_user: bool) -> None:
    """Remove the service's rule and target groups; the ALB and its certificate and security
    group too when `last_user`."""
    elb = _elbv2(account_id, region)
    elb.delete_rule(ingress.rule_arn)
    for arn in ingress.target_group_arns:
        elb.delete_target_group(arn)
    if not last_user:
        return
    elb.delete_listener(ingress.listener_arn)
    elb.delete_load_balancer(ingress.load_balancer_arn)
    network.delete_certificate(account_id, region, ingress.certificate_arn)
    network.delete_security_group(account_id, region, ingress.load_balancer_security_group)
