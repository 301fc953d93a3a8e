"""Deploys into AWS emulated in process (moto + the Express Mode emulation), the way expressway's own
tests build them: the real Deployer, a fake health endpoint, instant polling unless a clock is given."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws

from expressway.aws import session
from expressway.deploy.deployer import Deployer, Options
from expressway.deploy.waiting import Clock, HttpProber
from expressway.images.source import GivenImages
from expressway.plan.arns import INFRASTRUCTURE_MANAGED_POLICY
from expressway.registry import Registry, parse
from expressway.testing import IMAGE, VERSION, FakeService, registry_text
from localcloud.emulation import faults as emulation_faults
from localcloud.emulation.testing import create_boundaries, lean_moto

INSTANT = Clock(sleep=lambda _: None)


@contextlib.contextmanager
def emulated_aws() -> Iterator[None]:
    """A fresh emulated account: Express Mode on moto, the ingest key in SSM, no fault armed."""
    emulation_faults.clear()
    with pytest.MonkeyPatch.context() as patch:
        lean_moto(patch, INFRASTRUCTURE_MANAGED_POLICY)
        with mock_aws():
            session.reset()
            boto3.client("ssm").put_parameter(
                Name="/homestack/ingest/api-key", Value="k", Type="SecureString"
            )
            create_boundaries(parse(registry_text()))
            try:
                yield
            finally:
                emulation_faults.clear()
                session.reset()


def deployer(
    registry: Registry, said: list[str] | None = None, clock: Clock = INSTANT, **options: Any
) -> Deployer:
    """A Deployer for `prod` as the CLI builds one; progress lines go to `said`."""
    web = FakeService()
    sink: Callable[[str], None] = (said if said is not None else []).append
    prober = HttpProber(httpx.MockTransport(web), poll=0.0, clock=clock)
    # iam_settle 0: the emulation's IAM is consistent at once (its propagation errors are a fault to arm).
    settings = Options(
        poll=0.0, clock=clock, verify_timeout=0.0, propagation_timeout=30.0, iam_settle=0.0, **options
    )
    return Deployer(registry, "prod", GivenImages(IMAGE), prober, VERSION, sink, settings)


def inventory(service_key: str) -> dict[str, Any]:
    """Everything a deploy of one service leaves in the account, counted, to spot duplicates and orphans."""
    ecs, iam, logs = boto3.client("ecs"), boto3.client("iam"), boto3.client("logs")
    roles = sorted(r["RoleName"] for r in iam.list_roles()["Roles"])
    elb = boto3.client("elbv2")
    balancers = elb.describe_load_balancers()["LoadBalancers"]
    rules = [
        rule
        for balancer in balancers
        for listener in elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
        for rule in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        if not rule["IsDefault"]
    ]
    return {
        "services": sorted(
            arn.rsplit("/", 1)[-1]
            for cluster in ecs.list_clusters()["clusterArns"]
            for arn in ecs.list_services(cluster=cluster)["serviceArns"]
        ),
        "clusters": len(ecs.list_clusters()["clusterArns"]),
        "roles": roles,
        "inline policies": {r: iam.list_role_policies(RoleName=r)["PolicyNames"] for r in roles},
        "attached policies": {
            r: sorted(
                p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"]
            )
            for r in roles
        },
        "tables": sorted(boto3.client("dynamodb").list_tables()["TableNames"]),
        "log groups": sorted(
            g["logGroupName"]
            for g in logs.describe_log_groups()["logGroups"]
            if service_key in g["logGroupName"]
        ),
        "load balancers": len(balancers),
        "listener rules": len(rules),
    }
