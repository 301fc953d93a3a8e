"""`deploy` without `--image`: builds, pushes to ECR and deploys the pinned digest (moto + emulation)."""

from __future__ import annotations

import io
from pathlib import Path

import boto3
import httpx
import pytest

from expressway.cli import options
from expressway.cli.wiring import make_deployer
from expressway.console import Console
from expressway.deploy.deployer import Deployer, Options
from expressway.deploy.waiting import Clock, HttpProber
from expressway.images.built import BuiltImages
from expressway.images.source import GivenImages
from expressway.images.testing import PushingBuilder, offline_images
from expressway.registry import Registry
from expressway.testing import VERSION, FakeService

ROOT = Path(__file__).resolve().parents[4]
FAST = Clock(sleep=lambda _: None)
ARN = "arn:aws:ecs:eu-west-1:123456789012:service/homestack-prod/homestack-prod-{}"


@pytest.fixture
def built(aws: None, reg: Registry, tmp_path: Path) -> tuple[BuiltImages, PushingBuilder]:
    images, builder, _ = offline_images(ROOT, reg, "prod", tmp_path)
    return images, builder


def test_deploy_runs_the_image_it_built_pinned_by_digest(
    built: tuple[BuiltImages, PushingBuilder], reg: Registry, web: FakeService
) -> None:
    images, builder = built
    prober = HttpProber(httpx.MockTransport(web), poll=0.0, clock=FAST)
    options = Options(poll=0.0, clock=FAST, verify_timeout=0.0)
    said: list[str] = []
    Deployer(reg, "prod", images, prober, VERSION, said.append, options).deploy("sensors")
    service = boto3.client("ecs").describe_express_gateway_service(serviceArn=ARN.format("sensors"))[
        "service"
    ]
    newest = max(service["activeConfigurations"], key=lambda c: c["createdAt"])
    image = newest["primaryContainer"]["image"]
    uri = boto3.client("ecr").describe_repositories(repositoryNames=["homestack/sensors"])["repositories"][0]
    assert image == images.image("sensors")
    assert image.startswith(f"{uri['repositoryUri']}@sha256:")
    assert len(builder.built) == 1


def test_cli_builds_images_when_no_image_is_given_for_aws(aws: None, reg: Registry) -> None:
    console = Console(io.StringIO(), io.StringIO())
    deployer = make_deployer(options.Deploy(), reg, "prod", console, root=ROOT)
    assert isinstance(deployer.images, BuiltImages)
    given = make_deployer(options.Deploy(images=("repo/x:1",)), reg, "prod", console, root=ROOT)
    assert isinstance(given.images, GivenImages)
