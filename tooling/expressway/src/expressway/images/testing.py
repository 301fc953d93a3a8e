"""Test helpers: an in-memory OCI registry (httpx.MockTransport) and tools for container tests."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from expressway.aws.ecr import Ecr
from expressway.images.auth import RegistryAuth
from expressway.images.built import BuiltImages
from expressway.images.context import BuildContext
from expressway.images.distribution import DistributionClient
from expressway.images.dockerfile import CONTEXT_LABEL
from expressway.images.process import run
from expressway.registry import Registry

# Containers started by tests carry this label, so a later run can remove what a killed one left.
CONTAINER_TEST_LABEL = "dev.expressway.test=containers"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"


def sha(data: bytes) -> str:
    """The OCI digest of some bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class FakeRegistry:
    """Holds tags -> manifests and blobs; checks Basic credentials when `password` is set."""

    password: str | None = None
    manifests: dict[str, bytes] = field(default_factory=dict)  # "repo:ref" -> manifest bytes
    blobs: dict[str, bytes] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def put_image(self, repository: str, tag: str, labels: dict[str, str], *, index: bool = False) -> str:
        """Store an image with these labels under a tag; return its manifest digest."""
        config = json.dumps({"architecture": "amd64", "config": {"Labels": labels}}).encode()
        self.blobs[sha(config)] = config
        manifest = json.dumps(
            {"schemaVersion": 2, "mediaType": MANIFEST,
             "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                        "digest": sha(config), "size": len(config)},
             "layers": []}
        ).encode()  # fmt: skip
        digest = sha(manifest)
        self.manifests[f"{repository}:{digest}"] = manifest
        if index:
            wrapper = json.dumps(
                {"schemaVersion": 2, "mediaType": INDEX,
                 "manifests": [{"mediaType": MANIFEST, "digest": digest, "size": len(manifest)}]}
            ).encode()  # fmt: skip
            digest = sha(wrapper)
            self.manifests[f"{repository}:{digest}"] = wrapper
            manifest = wrapper
        self.manifests[f"{repository}:{tag}"] = manifest
        return digest

    def transport(self) -> httpx.MockTransport:
        """A transport that answers the distribution API from this registry's contents."""
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request: manifests (GET/HEAD) and blobs, 401 on wrong credentials."""
        self.requests.append(request)
        if self.password is not None:
            expected = "Basic " + base64.b64encode(f"AWS:{self.password}".encode()).decode()
            if request.headers.get("authorization") != expected:
                return httpx.Response(401, json={"errors": [{"code": "DENIED"}]})
        path = request.url.path.removeprefix("/v2/")
        repository, kind, reference = (
            path.rpartition("/")[0].rpartition("/")[0],
            *path.rsplit("/", 2)[1:],
        )
        if kind == "manifests" and f"{repository}:{reference}" in self.manifests:
            body = self.manifests[f"{repository}:{reference}"]
            media_type = json.loads(body)["mediaType"]
            headers = {"docker-content-digest": sha(body), "content-type": media_type}
            return httpx.Response(200, content=b"" if request.method == "HEAD" else body, headers=headers)
        if kind == "blobs" and reference in self.blobs:
            return httpx.Response(200, content=self.blobs[reference])
        return httpx.Response(404, json={"errors": [{"code": "MANIFEST_UNKNOWN"}]})


@dataclass
class PushingBuilder:
    """Stands in for podman where ECR's registry cannot run (moto): a push stores the context's label
    in `registry` under the pushed tag, after checking it came with ECR's login (user `AWS`)."""

    registry: FakeRegistry
    built: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    name: str = "recording"

    def build_command(self, context: BuildContext, image: str) -> list[str]:
        return ["build", str(context.path), image]

    def build(self, context: BuildContext, image: str) -> None:
        self.built.append(image)
        self.labels = {CONTEXT_LABEL: context.digest}

    def push(self, image: str, destination: str, auth: RegistryAuth | None) -> str:  # noqa: ARG002
        assert auth is not None
        assert auth.username == "AWS"
        repository, tag = destination.split("/", 1)[1].rsplit(":", 1)
        return self.registry.put_image(repository, tag, self.labels)


def offline_images(
    root: Path, registry: Registry, env: str, workdir: Path
) -> tuple[BuiltImages, PushingBuilder, FakeRegistry]:
    """BuiltImages for `env` whose builds and pushes land in an in-memory registry that accepts the
    environment's ECR login (ECR itself is moto's): what a deploy builds, without podman or a network."""
    _, auth = Ecr(registry.environment(env)).authorization()
    fake = FakeRegistry(password=auth.password)
    builder = PushingBuilder(fake)
    images = BuiltImages(
        root=root,
        registry=registry,
        env=env,
        ecr=Ecr(registry.environment(env)),
        builder=lambda: builder,
        workdir=workdir,
        client=lambda host, auth: DistributionClient(host, auth=auth, transport=fake.transport()),
    )
    return images, builder, fake


def wait_for(url: str, *, timeout: float = 30.0) -> httpx.Response:
    """GET `url` until it answers; fail with the last error after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=2.0)
        except httpx.TransportError as exc:
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not answer within {timeout:.0f}s: {exc}") from exc
            time.sleep(0.2)


def podman(env: dict[str, str], *args: str) -> str:
    """Run podman with a test configuration; return its stdout (an ImageError fails the test)."""
    return run(["podman", *args], env=env).stdout
