"""Fixtures for the operations tests: deployers with chosen versions and images, and images in ECR."""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import boto3
import httpx
import pytest

from expressway.deploy.deployer import Deployer, Options
from expressway.deploy.waiting import Clock, HttpProber
from expressway.images.source import GivenImages, ImageSource
from expressway.registry import Registry
from expressway.testing import IMAGE, VERSION, copy_checkout

ROOT = Path(__file__).resolve().parents[4]
FAST = Clock(sleep=lambda _: None)
REGISTRY_HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
V1 = "1111111111111111111111111111111111111111"
V2 = "2222222222222222222222222222222222222222"


class MakeDeployer(Protocol):
    def __call__(
        self,
        reg: Registry,
        *,
        version: str = ...,
        image: str = ...,
        images: ImageSource | None = ...,
        said: list[str] | None = ...,
        clock: Clock = ...,
        say: Callable[[str], None] | None = ...,
    ) -> Deployer: ...


def live_health(request: httpx.Request) -> httpx.Response:
    """The health endpoint of whichever emulated Express service owns the URL's host: it reports the
    APP_VERSION of the revision that serves now, as the real service would."""
    ecs = boto3.client("ecs")
    for cluster in ecs.list_clusters()["clusterArns"]:
        for arn in ecs.list_services(cluster=cluster)["serviceArns"]:
            service: Any = ecs.describe_express_gateway_service(serviceArn=arn)["service"]
            config = max(service["activeConfigurations"], key=lambda c: c["createdAt"])
            if any(request.url.host in p["endpoint"] for p in config.get("ingressPaths", [])):
                env = {e["name"]: e["value"] for e in config["primaryContainer"]["environment"]}
                return httpx.Response(200, json={"status": "ok", "version": env["APP_VERSION"]})
    return httpx.Response(404, json={"detail": "no such host"})


@pytest.fixture
def deployer_for() -> MakeDeployer:
    """Deployers as the CLI builds them, deploying `image` stamped `version`; health reports what runs."""

    def make(
        reg: Registry,
        *,
        version: str = VERSION,
        image: str = IMAGE,
        images: ImageSource | None = None,
        said: list[str] | None = None,
        clock: Clock = FAST,
        say: Callable[[str], None] | None = None,
    ) -> Deployer:
        prober = HttpProber(httpx.MockTransport(live_health), poll=0.0, clock=FAST)
        sink = said if said is not None else []
        options = Options(poll=0.0, clock=clock, verify_timeout=0.0)
        out = say or sink.append
        return Deployer(reg, "prod", images or GivenImages(image), prober, version, out, options)

    return make


def push_image(repository: str, tag: str) -> str:
    """Put a (tiny, fake) image manifest into moto's ECR; returns the image URI pinned by digest."""
    ecr = boto3.client("ecr")
    with contextlib.suppress(ecr.exceptions.RepositoryAlreadyExistsException):
        ecr.create_repository(repositoryName=repository)
    # moto derives the digest from the layer digests and, for a manifest without layers, from a
    # random number below 101: two such pushes share a digest one time in a hundred. One layer
    # named after the tag makes each tag's digest its own.
    layer = {
        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
        "size": 1,
        "digest": "sha256:" + hashlib.sha256(tag.encode()).hexdigest(),
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "layers": [layer],
    }
    found: Any = ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)
    return f"{REGISTRY_HOST}/{repository}@{found['image']['imageId']['imageDigest']}"


def image_tags(repository: str) -> dict[str, list[str]]:
    """Digest -> tags of every image in the repository."""
    found = boto3.client("ecr").describe_images(repositoryName=repository)["imageDetails"]
    return {str(i["imageDigest"]): sorted(i.get("imageTags", [])) for i in found}


def lifecycle_cleanup(repository: str, keep: Callable[[list[str]], bool]) -> list[str]:
    """What an ECR lifecycle run does to images its rules select: delete them. Returns their digests."""
    doomed = [digest for digest, tags in image_tags(repository).items() if not keep(tags)]
    if doomed:
        boto3.client("ecr").batch_delete_image(
            repositoryName=repository, imageIds=[{"imageDigest": d} for d in doomed]
        )
    return doomed


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """This repository's files in a fresh git repository with one commit."""
    root = tmp_path / "repo"
    copy_checkout(ROOT, root)
    git(root, "init", "-q")
    commit(root, "deployed")
    return root
