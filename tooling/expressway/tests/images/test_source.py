"""BuiltImages: what deploy uses without `--image` (ECR on moto, the registry API faked like ECR's)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from expressway.aws import session
from expressway.images.built import BuiltImages, repository_name
from expressway.images.tagging import read_revision
from expressway.images.testing import FakeRegistry, PushingBuilder, offline_images
from expressway.registry import load

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient

ROOT = Path(__file__).resolve().parents[4]
REGISTRY = load(ROOT / "services.toml")


@pytest.fixture
def ecr_client() -> Iterator[ECRClient]:
    with mock_aws():
        session.reset()
        yield boto3.client("ecr", region_name="eu-west-1")
    session.reset()


def built_images(ecr_client: ECRClient, tmp_path: Path) -> tuple[BuiltImages, PushingBuilder, FakeRegistry]:
    del ecr_client  # the fixture holds moto's ECR open
    return offline_images(ROOT, REGISTRY, "prod", tmp_path)


def test_deploy_without_image_builds_pushes_to_ecr_and_pins_the_digest(
    ecr_client: ECRClient, tmp_path: Path
) -> None:
    images, builder, registry = built_images(ecr_client, tmp_path)
    pinned = images.image("dashboard")
    [repository] = ecr_client.describe_repositories(repositoryNames=["homestack/dashboard"])["repositories"]
    assert repository["imageScanningConfiguration"]["scanOnPush"] is True
    assert json.loads(
        ecr_client.get_lifecycle_policy(repositoryName="homestack/dashboard")["lifecyclePolicyText"]
    )
    tag = read_revision(ROOT).tag
    served = registry.manifests[f"homestack/dashboard:{tag}"]
    assert pinned == f"{repository['repositoryUri']}@sha256:{hashlib.sha256(served).hexdigest()}"
    assert builder.built == [f"localhost/dashboard:{tag}"]


def test_each_service_is_built_once_per_deploy(ecr_client: ECRClient, tmp_path: Path) -> None:
    images, builder, _ = built_images(ecr_client, tmp_path)
    assert images.image("dashboard") == images.image("dashboard")
    assert len(builder.built) == 1


def test_plan_knows_the_image_only_when_ecr_already_holds_this_revision(
    ecr_client: ECRClient, tmp_path: Path
) -> None:
    images, builder, _ = built_images(ecr_client, tmp_path)
    assert images.planned("sensors") is None  # no repository yet, and nothing is created to find out
    assert ecr_client.describe_repositories()["repositories"] == []
    name = repository_name(REGISTRY, "sensors")
    ecr_client.create_repository(repositoryName=name)
    layer = {
        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "size": 1,
        "digest": "sha256:" + "b" * 64,
    }
    config = {
        "mediaType": "application/vnd.docker.container.image.v1+json",
        "size": 1,
        "digest": "sha256:" + "a" * 64,
    }
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": config,
            "layers": [layer],
        }
    )
    assert images.planned("sensors") is None  # repository, but not this revision
    pushed = ecr_client.put_image(
        repositoryName=name, imageManifest=manifest, imageTag=read_revision(ROOT).tag
    )
    uri = ecr_client.describe_repositories(repositoryNames=[name])["repositories"][0]["repositoryUri"]
    assert images.planned("sensors") == f"{uri}@{pushed['image']['imageId']['imageDigest']}"
    assert builder.built == []
