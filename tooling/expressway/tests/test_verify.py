"""Proving a new revision serves: a private endpoint through its targets' health, a health path with no
version passes with a warning, a real endpoint's check goes the way the environment's proxy says."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest

from expressway.deploy.deployer import Deployer
from expressway.deploy.waiting import Clock, HttpProber
from expressway.errors import DeployError
from expressway.registry import Registry, parse
from expressway.testing import VERSION, FakeService, json_server, registry_text

Make = Callable[..., Deployer]
FAST = Clock(sleep=lambda _: None)
URL = "https://sensors.example/health"


def _private_registry() -> Registry:
    """`prod` in the default VPC's private subnets (their own route table, no internet gateway)."""
    ec2 = boto3.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    for index, zone in enumerate(("eu-west-1a", "eu-west-1b")):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"172.31.{200 + index}.0/24", AvailabilityZone=zone)
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet["Subnet"]["SubnetId"])
    return parse(registry_text({"environments": {"prod": {"vpc": vpc, "access": "private"}}}))


def test_a_private_endpoint_is_proven_by_healthy_targets_not_by_a_request_from_outside(
    aws: None, make_deployer: Make, web: FakeService
) -> None:
    reg = _private_registry()
    said: list[str] = []
    make_deployer(reg, said).deploy("sensors")

    assert web.urls == []  # the internal ALB's URL was never fetched
    assert any("healthy target(s) behind the internal ALB" in line for line in said)
    assert any("cannot be read from outside the VPC" in line for line in said)
    elbv2 = boto3.client("elbv2")
    for group in elbv2.describe_target_groups()["TargetGroups"]:  # every task drops out of the ALB
        arn = group["TargetGroupArn"]
        targets = [
            t["Target"] for t in elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        ]
        if targets:
            elbv2.deregister_targets(TargetGroupArn=arn, Targets=targets)
    with pytest.raises(DeployError, match="no healthy target behind the internal load balancer"):
        make_deployer(reg).deploy("sensors")


def test_a_health_path_that_reports_no_version_passes_with_a_warning(
    aws: None, reg: Registry, make_deployer: Make, web: FakeService
) -> None:
    web.body = {"status": "ok"}  # the seed's service, moved in unchanged
    said: list[str] = []
    make_deployer(reg, said).deploy("sensors")
    answered = next(line for line in said if "answered" in line)
    assert "with no version: warning: not proven" in answered
    assert "APP_VERSION" in answered


def test_a_wrong_version_still_fails(aws: None, reg: Registry, make_deployer: Make, web: FakeService) -> None:
    web.version = "somebody-elses-version"
    with pytest.raises(DeployError, match="expected 200 with version"):
        make_deployer(reg).deploy("sensors")


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    """An HTTP proxy on loopback that answers every request itself, as a corporate proxy would relay it."""
    seen: list[str] = []

    def relay(path: str, _headers: dict[str, str]) -> dict[str, Any]:
        seen.append(path)  # a proxy receives the absolute URL
        return {"version": VERSION}

    with json_server(relay) as port:
        yield f"http://127.0.0.1:{port}", seen


def test_a_real_endpoint_is_checked_through_the_environments_proxy(
    proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    address, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", address)
    monkeypatch.setenv("NO_PROXY", "")

    answer = HttpProber(poll=0.0).verify("http://se-1.ecs.eu-west-1.on.aws/health", VERSION, 5.0)

    assert answer == f"200, version {VERSION}"
    assert seen == ["http://se-1.ecs.eu-west-1.on.aws/health"]


def _answering(content_type: str, body: bytes) -> HttpProber:
    """A prober whose health URL answers 200 with `body` as `content_type`."""

    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": content_type})

    return HttpProber(httpx.MockTransport(answer), poll=0.0, clock=FAST)


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "Application/JSON;charset=UTF-8", "application/health+json"],
)
def test_any_json_media_type_is_read_and_a_wrong_version_fails(content_type: str) -> None:
    wrong = json.dumps({"status": "ok", "version": "somebody-elses-version"}).encode()
    with pytest.raises(DeployError, match="last answer: HTTP 200, version 'somebody-elses-version'"):
        _answering(content_type, wrong).verify(URL, VERSION, timeout=0.0)
    right = json.dumps({"version": VERSION}).encode()
    assert _answering(content_type, right).verify(URL, VERSION, timeout=0.0) == f"200, version {VERSION}"


def test_a_body_that_says_it_is_json_but_is_not_fails_verification() -> None:
    with pytest.raises(DeployError) as caught:
        _answering("application/json; charset=utf-8", b"<html>ok</html>").verify(URL, VERSION, timeout=0.0)
    assert str(caught.value) == (
        f"verify {URL}: expected 200 with version {VERSION}, last answer: "
        "HTTP 200 with a body that is not JSON: '<html>ok</html>'"
    )


def test_a_body_that_is_not_json_by_its_content_type_still_passes_with_the_warning() -> None:
    found = _answering("text/plain", b"ok").verify(URL, VERSION, timeout=0.0)
    assert found.startswith("200 with no version: warning: not proven")
