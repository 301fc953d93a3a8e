"""publish(): build and push once, skip both when the registry already holds the same content."""

from __future__ import annotations

from pathlib import Path

import pytest

from expressway.images.auth import RegistryAuth
from expressway.images.distribution import DistributionClient
from expressway.images.dockerfile import CONTEXT_LABEL
from expressway.images.errors import ImageError
from expressway.images.publish import PublishedImage, publish
from expressway.images.spec import ImageSpec
from expressway.images.testing import FakeRegistry, PushingBuilder

ROOT = Path(__file__).resolve().parents[4]
HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
SPEC = ImageSpec(
    service="dashboard",
    distribution="homestack-dashboard",
    path="services/dashboard",
    app="homestack_dashboard.app:app",
    revision="f" * 40,
)


class RegistryBuilder(PushingBuilder):
    """PushingBuilder for a registry at HOST that expects the password `tok`."""

    def push(self, image: str, destination: str, auth: RegistryAuth | None) -> str:
        assert auth == RegistryAuth("AWS", "tok")
        repository, tag = destination.removeprefix(f"{HOST}/").rsplit(":", 1)
        return self.registry.put_image(repository, tag, self.labels)


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry(password="tok")


def run_publish(registry: FakeRegistry, builder: RegistryBuilder, tmp_path: Path) -> PublishedImage:
    return publish(
        SPEC,
        root=ROOT,
        workdir=tmp_path,
        repository=f"{HOST}/homestack-dashboard",
        tag="abc",
        epoch=1767225600,
        builder=builder,
        auth=RegistryAuth("AWS", "tok"),
        client=lambda host, auth: DistributionClient(host, auth=auth, transport=registry.transport()),
    )


def test_first_publish_builds_pushes_and_pins_the_served_digest(
    registry: FakeRegistry, tmp_path: Path
) -> None:
    builder = RegistryBuilder(registry)
    published = run_publish(registry, builder, tmp_path)
    assert published.built
    assert builder.built == ["localhost/dashboard:abc"]
    served = DistributionClient(HOST, auth=RegistryAuth("AWS", "tok"), transport=registry.transport())
    assert published.digest == served.digest("homestack-dashboard", "abc")
    assert published.pinned == f"{HOST}/homestack-dashboard@{published.digest}"


def test_same_tag_with_same_content_is_neither_built_nor_pushed_again(
    registry: FakeRegistry, tmp_path: Path
) -> None:
    first = run_publish(registry, RegistryBuilder(registry), tmp_path)
    builder = RegistryBuilder(registry)
    again = run_publish(registry, builder, tmp_path)
    assert not again.built
    assert builder.built == []
    assert again.digest == first.digest


def test_same_tag_with_different_content_is_rebuilt(registry: FakeRegistry, tmp_path: Path) -> None:
    registry.put_image("homestack-dashboard", "abc", {CONTEXT_LABEL: "sha256:something-else"})
    builder = RegistryBuilder(registry)
    assert run_publish(registry, builder, tmp_path).built
    assert builder.built == ["localhost/dashboard:abc"]


def test_push_that_the_registry_does_not_serve_is_an_error(registry: FakeRegistry, tmp_path: Path) -> None:
    class LosingBuilder(RegistryBuilder):
        def push(self, image: str, destination: str, auth: RegistryAuth | None) -> str:
            return "sha256:" + "0" * 64

    with pytest.raises(ImageError, match="did not stick"):
        run_publish(registry, LosingBuilder(registry), tmp_path)


def test_repository_without_a_registry_host_is_an_error(registry: FakeRegistry, tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="not `registry/repository`"):
        publish(SPEC, root=ROOT, workdir=tmp_path, repository="sensors", tag="a", epoch=1,
                builder=RegistryBuilder(registry))  # fmt: skip
