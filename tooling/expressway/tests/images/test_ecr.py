"""The ECR gateway against moto: repository settings, lifecycle, login token, digests, deploy tags."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from expressway.aws import session
from expressway.aws.ecr import DEPLOYED_PREFIX, Ecr, lifecycle_policy
from expressway.errors import AwsError, NotFoundError
from expressway.registry import Environment

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient

MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7,
            "digest": "sha256:" + "c" * 64,
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": 1,
                "digest": "sha256:" + "c" * 64,
            }
        ],
    }
)


ENV = Environment(region="eu-west-1")


@pytest.fixture
def client() -> Iterator[ECRClient]:
    with mock_aws():
        session.reset()
        yield boto3.client("ecr", region_name="eu-west-1")
    session.reset()


def push(client: ECRClient, repository: str, tag: str, manifest: str = MANIFEST) -> str:
    return client.put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag)["image"][
        "imageId"
    ]["imageDigest"]


def test_new_repository_scans_on_push_has_mutable_tags_and_the_lifecycle_policy(client: ECRClient) -> None:
    uri = Ecr(ENV).ensure_repository("homestack-sensors", tags={"project": "homestack"})
    [repository] = client.describe_repositories(repositoryNames=["homestack-sensors"])["repositories"]
    assert uri == repository["repositoryUri"]
    assert uri.endswith(".dkr.ecr.eu-west-1.amazonaws.com/homestack-sensors")
    assert repository["imageScanningConfiguration"]["scanOnPush"] is True
    assert repository["imageTagMutability"] == "MUTABLE"
    policy = client.get_lifecycle_policy(repositoryName="homestack-sensors")["lifecyclePolicyText"]
    assert json.loads(policy) == json.loads(lifecycle_policy())
    tags = client.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"]
    assert {"Key": "project", "Value": "homestack"} in tags


def test_existing_repository_is_kept_and_brought_to_the_wanted_settings(client: ECRClient) -> None:
    client.create_repository(
        repositoryName="homestack-ingest", imageScanningConfiguration={"scanOnPush": False}
    )
    digest = push(client, "homestack-ingest", "old")
    Ecr(ENV).ensure_repository("homestack-ingest")
    [repository] = client.describe_repositories(repositoryNames=["homestack-ingest"])["repositories"]
    assert repository["imageScanningConfiguration"]["scanOnPush"] is True
    assert client.get_lifecycle_policy(repositoryName="homestack-ingest")["lifecyclePolicyText"]
    assert Ecr(ENV).image_digest("homestack-ingest", "old") == digest


def test_lifecycle_policy_protects_deployed_images_before_counting_the_rest() -> None:
    rules = sorted(json.loads(lifecycle_policy(keep=5))["rules"], key=lambda rule: rule["rulePriority"])
    protect, untagged, recent = rules
    assert protect["selection"]["tagPrefixList"] == [DEPLOYED_PREFIX]
    assert protect["selection"]["countNumber"] >= 10000
    assert untagged["selection"]["tagStatus"] == "untagged"
    assert recent["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5}
    assert recent is rules[-1]  # ECR requires the `any` rule to have the lowest priority


def test_authorization_returns_the_registry_host_and_the_decoded_credentials(client: ECRClient) -> None:
    host, auth = Ecr(ENV).authorization()
    token = client.get_authorization_token()["authorizationData"][0]
    assert host == token["proxyEndpoint"].removeprefix("https://")
    assert auth.username == "AWS"
    assert auth.password
    assert auth.password not in repr(auth)


def test_image_digest_of_a_tag_and_none_for_a_missing_tag(client: ECRClient) -> None:
    client.create_repository(repositoryName="homestack-dashboard")
    digest = push(client, "homestack-dashboard", "abc123")
    ecr = Ecr(ENV)
    assert ecr.image_digest("homestack-dashboard", "abc123") == digest
    assert ecr.image_digest("homestack-dashboard", "nope") is None


def test_missing_repository_is_a_not_found_error_naming_it(client: ECRClient) -> None:
    with pytest.raises(NotFoundError, match="homestack-nope") as caught:
        Ecr(ENV).repository_uri("homestack-nope")
    assert caught.value.code == "RepositoryNotFoundException"


def test_aws_failures_are_wrapped_with_the_operation_and_code(client: ECRClient) -> None:
    with pytest.raises(AwsError, match=r"create ECR repository Bad_Name: \w+") as caught:
        Ecr(ENV).ensure_repository("Bad_Name")
    assert caught.value.operation == "CreateRepository"
