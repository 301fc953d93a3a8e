"""ECR: the service's image repository (scan on push, lifecycle), registry login and digests."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from expressway.aws.session import wrapped
from expressway.errors import NotFoundError
from expressway.images.builders import RegistryAuth

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient

T = TypeVar("T")

# A successful deploy tags what it runs `deployed-<env>-<version>` (aws/imagepins.py); kept forever.
DEPLOYED_PREFIX = "deployed-"
KEEP_RECENT = 30  # images kept besides the deployed ones: room to roll back a month of daily deploys
_MANIFEST_TYPES = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
]


def lifecycle_policy(keep: int = KEEP_RECENT) -> str:
    """Keep every `deployed-*` image, drop untagged ones after a day, keep the `keep` newest others.

    ECR never expires an image through a lower-priority rule once a higher-priority rule selected
    it, so rule 1 (deployed images, a count no repository reaches) shields them from rule 3.
    """
    rules: list[dict[str, Any]] = [
        {
            "rulePriority": 1,
            "description": "never expire images a service runs (tagged deployed-<env>)",
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": [DEPLOYED_PREFIX],
                "countType": "imageCountMoreThan",
                "countNumber": 10000,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": "drop untagged images (superseded pushes) after a day",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 1,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 3,
            "description": f"keep the {keep} most recent other images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
            "action": {"type": "expire"},
        },
    ]
    return json.dumps({"rules": rules}, sort_keys=True)


class Ecr:
    """One ECR client's repositories, as expressway uses them."""

    def __init__(self, client: ECRClient) -> None:
        self.api = client

    def ensure_repository(self, name: str, tags: dict[str, str] | None = None) -> str:
        """Create the repository if missing; (re)apply scan on push and the lifecycle policy; its URI."""
        try:
            found = _call(
                f"describe ECR repository {name}", self.api.describe_repositories, repositoryNames=[name]
            )
            repository = found["repositories"][0]
        except NotFoundError:
            created = _call(
                f"create ECR repository {name}",
                self.api.create_repository,
                repositoryName=name,
                imageTagMutability="MUTABLE",  # deploy moves `deployed-<env>` from image to image
                imageScanningConfiguration={"scanOnPush": True},
                tags=[{"Key": key, "Value": value} for key, value in sorted((tags or {}).items())],
            )
            repository = created["repository"]
        if not repository.get("imageScanningConfiguration", {}).get("scanOnPush"):
            _call(
                f"turn on scan on push for {name}",
                self.api.put_image_scanning_configuration,
                repositoryName=name,
                imageScanningConfiguration={"scanOnPush": True},
            )
        _call(
            f"set the lifecycle policy of {name}",
            self.api.put_lifecycle_policy,
            repositoryName=name,
            lifecyclePolicyText=lifecycle_policy(),
        )
        return str(repository["repositoryUri"])

    def repository_uri(self, name: str) -> str:
        """The URI of an existing repository; NotFoundError when there is none."""
        found = _call(
            f"describe ECR repository {name}", self.api.describe_repositories, repositoryNames=[name]
        )
        return str(found["repositories"][0]["repositoryUri"])

    def authorization(self) -> tuple[str, RegistryAuth]:
        """The registry host and the credentials a push and the registry API take (valid 12 h)."""
        found = _call("get an ECR login token", self.api.get_authorization_token)
        data = found["authorizationData"][0]
        username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
        host = str(data["proxyEndpoint"]).removeprefix("https://")
        return host, RegistryAuth(username, password)

    def image_digest(self, repository: str, tag: str) -> str | None:
        """The digest `repository:tag` points at, or None if there is no such tag."""
        try:
            found = _call(
                f"describe image {repository}:{tag}",
                self.api.describe_images,
                repositoryName=repository,
                imageIds=[{"imageTag": tag}],
            )
        except NotFoundError:
            return None
        details = found.get("imageDetails", [])
        return str(details[0]["imageDigest"]) if details else None


def _call(what: str, fn: Callable[..., T], **kwargs: Any) -> T:
    with wrapped(what):
        return fn(**kwargs)
