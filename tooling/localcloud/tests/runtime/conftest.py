"""Fixtures for the local cloud: a moto server on loopback, a shared ALB built from real ELBv2 objects,
and a router serving on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import boto3
import httpx
import pytest

from expressway.aws.elbv2 import Elbv2
from expressway.registry import Environment
from expressway.testing import free_port
from localcloud.emulation import install
from localcloud.emulation.alb import forward
from localcloud.runtime.process import TaskProcess, free_endpoint
from localcloud.runtime.router import Router, server
from localcloud.runtime.routes import read_routes

if TYPE_CHECKING:
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client
    from mypy_boto3_elbv2.type_defs import ActionTypeDef

APPS = Path(__file__).parent / "apps"
REGION = "eu-west-1"

install()  # the Express Mode operations, for the moto server below
# moto builds ~2,600 AMIs per region for EC2 unless told not to; nothing here needs them
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def aws(moto_server: str) -> str:
    """The moto endpoint, emptied before each test."""
    httpx.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    return moto_server


def client(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)  # type: ignore[call-overload]


@pytest.fixture
def elbv2(aws: str) -> ElasticLoadBalancingv2Client:
    found: ElasticLoadBalancingv2Client = client(aws, "elbv2")
    return found


@pytest.fixture
def gateway(aws: str) -> Elbv2:
    """expressway's ELBv2 gateway on the moto endpoint: what the local cloud reads and writes through."""
    return Elbv2(Environment(region=REGION, endpoint=aws))


@dataclass
class Alb:
    """A shared ALB shaped like the one Express Mode builds: HTTPS:443, one host rule per service
    forwarding to the first of its two target groups."""

    elbv2: ElasticLoadBalancingv2Client
    vpc: str
    listener: str
    priorities: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def add_service(self, host: str) -> tuple[str, str, str]:
        """(rule, serving group, standby group) for a new host rule."""
        groups = [
            self.elbv2.create_target_group(
                Name=f"tg-{host.split('.')[0]}-{n}",
                Protocol="HTTP",
                Port=8000,
                VpcId=self.vpc,
                TargetType="ip",
                HealthCheckPath="/health",
            )["TargetGroups"][0]["TargetGroupArn"]
            for n in (1, 2)
        ]
        rule = self.elbv2.create_rule(
            ListenerArn=self.listener,
            Priority=next(self.priorities),
            Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [host]}}],
            Actions=[cast("ActionTypeDef", forward(groups[0], groups[1]))],
        )["Rules"][0]["RuleArn"]
        return rule, groups[0], groups[1]

    def register(self, group: str, process: TaskProcess) -> None:
        self.elbv2.register_targets(
            TargetGroupArn=group, Targets=[{"Id": process.address, "Port": process.port}]
        )

    def deregister(self, group: str, process: TaskProcess) -> None:
        self.elbv2.deregister_targets(
            TargetGroupArn=group, Targets=[{"Id": process.address, "Port": process.port}]
        )


@pytest.fixture
def alb(aws: str, elbv2: ElasticLoadBalancingv2Client) -> Alb:
    ec2 = client(aws, "ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] == vpc][:2]
    group = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    certificate = client(aws, "acm").request_certificate(DomainName="*.localhost")["CertificateArn"]
    balancer = elbv2.create_load_balancer(
        Name="shared", Subnets=subnets, SecurityGroups=[group], Scheme="internet-facing", Type="application"
    )["LoadBalancers"][0]["LoadBalancerArn"]
    listener = elbv2.create_listener(
        LoadBalancerArn=balancer,
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": certificate}],
        DefaultActions=[
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"},
            }
        ],
    )["Listeners"][0]["ListenerArn"]
    return Alb(elbv2, vpc, listener)


@dataclass
class RunningRouter:
    router: Router
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
async def routed(gateway: Elbv2) -> AsyncIterator[RunningRouter]:
    """A router on a free loopback port, reading the moto ALB every 0.2 s."""
    router = Router(lambda: read_routes(gateway), interval=0.2)
    port = free_port()
    uvicorn_server = server(router, port)
    task = asyncio.create_task(uvicorn_server.serve())
    while not uvicorn_server.started:
        assert not task.done(), "the router did not start"
        await asyncio.sleep(0.02)
    yield RunningRouter(router, port)
    uvicorn_server.should_exit = True
    await task


@pytest.fixture
def tiny() -> Callable[..., dict[str, str]]:
    return tiny_env


def tiny_env(name: str, **extra: str) -> dict[str, str]:
    """The environment that makes the tiny test app importable and names it."""
    return {"PYTHONPATH": str(APPS), "TINY_NAME": name, **extra}


async def answers(url: str, patience: float) -> bool:
    """Whether `url` answers 200 within `patience` seconds."""
    deadline = asyncio.get_running_loop().time() + patience
    async with httpx.AsyncClient(trust_env=False, timeout=2.0) as client:
        while asyncio.get_running_loop().time() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return True
            await asyncio.sleep(0.1)
    return False


@pytest.fixture
async def upstream() -> AsyncIterator[Callable[..., Awaitable[TaskProcess]]]:
    """Start the tiny app as a real process (stopped at the end of the test)."""
    started: list[TaskProcess] = []

    async def start(name: str, **env: str) -> TaskProcess:
        address, port = free_endpoint()
        process = TaskProcess("tiny:app", address, port, lambda line: None, name)
        started.append(process)
        await process.start({"PATH": os.environ.get("PATH", ""), **tiny_env(name, **env)})
        assert await answers(process.url + "/health", 20), f"{name} did not start"
        return process

    yield start
    for process in started:
        await process.stop(5)
