"""The OCI distribution client: the digest a tag resolves to and the labels of its image."""

from __future__ import annotations

import httpx
import pytest

from expressway.images.auth import RegistryAuth
from expressway.images.distribution import DistributionClient
from expressway.images.errors import ImageError
from expressway.images.testing import FakeRegistry


def client(
    registry: FakeRegistry,
    host: str = "123.dkr.ecr.eu-west-1.amazonaws.com",
    auth: RegistryAuth | None = None,
) -> DistributionClient:
    return DistributionClient(host, auth=auth, transport=registry.transport())


def test_tag_resolves_to_the_manifest_digest_the_registry_reports() -> None:
    registry = FakeRegistry()
    digest = registry.put_image("homestack-sensors", "abc123", {"k": "v"})
    with client(registry) as remote:
        assert remote.digest("homestack-sensors", "abc123") == digest
        assert remote.digest("homestack-sensors", "missing") is None


def test_labels_are_read_from_the_image_config() -> None:
    registry = FakeRegistry()
    registry.put_image("homestack-sensors", "abc123", {"dev.expressway.context": "sha256:1"})
    with client(registry) as remote:
        assert remote.labels("homestack-sensors", "abc123") == {"dev.expressway.context": "sha256:1"}
        assert remote.labels("homestack-sensors", "nope") is None


def test_labels_are_found_through_an_image_index() -> None:
    registry = FakeRegistry()
    registry.put_image("homestack-sensors", "abc123", {"a": "b"}, index=True)
    with client(registry) as remote:
        assert remote.labels("homestack-sensors", "abc123") == {"a": "b"}


def test_remote_registry_is_spoken_to_over_https_with_basic_auth() -> None:
    registry = FakeRegistry(password="tok")
    registry.put_image("homestack-sensors", "abc123", {})
    with client(registry, auth=RegistryAuth("AWS", "tok")) as remote:
        assert remote.digest("homestack-sensors", "abc123") is not None
    assert registry.requests[0].url.scheme == "https"


def test_loopback_registry_is_spoken_to_over_plain_http() -> None:
    registry = FakeRegistry()
    with client(registry, host="127.0.0.1:5000") as remote:
        remote.digest("sensors", "abc")
    assert str(registry.requests[0].url) == "http://127.0.0.1:5000/v2/sensors/manifests/abc"


def test_rejected_credentials_are_an_error_with_a_hint() -> None:
    registry = FakeRegistry(password="right")
    with (
        client(registry, auth=RegistryAuth("AWS", "wrong")) as remote,
        pytest.raises(ImageError, match="access denied") as caught,
    ):
        remote.digest("homestack-sensors", "abc")
    assert caught.value.hint is not None


def test_unreachable_registry_is_an_error_naming_it() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with (
        DistributionClient("127.0.0.1:9", transport=httpx.MockTransport(refuse)) as remote,
        pytest.raises(ImageError, match=r"reach registry 127\.0\.0\.1:9"),
    ):
        remote.digest("x", "y")
