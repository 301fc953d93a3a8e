"""ECR: the service's image repository (scan on push, lifecycle), registry login, digests, and the
images deploys ran: tagged so lifecycle rules keep them, and checked before a rollback uses one."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from expressway.aws.session import client, run
from expressway.errors import AwsError, DeployError, NotFoundError
from expressway.images.auth import RegistryAuth
from expressway.plan.arns import EcrImage, parse_ecr
from expressway.registry import Environment

# A successful deploy tags what it runs `deployed-<env>-<version>` (protect_tag); kept forever.
DEPLOYED_PREFIX = "deployed-"
KEEP_RECENT = 30  # images kept besides the deployed ones: room to roll back a month of daily deploys
# Asked for explicitly so ECR returns a manifest as pushed instead of converting it.
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


def protect_tag(env_name: str, version: str) -> str:
    """`deployed-<env>-<sha12>`: one per deployed version, so every rollback target keeps its image."""
    safe = re.sub(r"[^\w.-]", "-", version)[:40]
    return f"{DEPLOYED_PREFIX}{env_name}-{safe}"


class Ecr:
    """An environment's ECR repositories, as expressway uses them."""

    def __init__(self, env: Environment) -> None:
        self.api = client(env, "ecr")

    def ensure_repository(self, name: str, tags: dict[str, str] | None = None) -> str:
        """Create the repository if missing; (re)apply scan on push and the lifecycle policy; its URI."""
        try:
            found = run(
                f"describe ECR repository {name}", self.api.describe_repositories, repositoryNames=[name]
            )
            repository = found["repositories"][0]
        except NotFoundError:
            created = run(
                f"create ECR repository {name}",
                self.api.create_repository,
                repositoryName=name,
                imageTagMutability="MUTABLE",  # deploy moves `deployed-<env>` from image to image
                imageScanningConfiguration={"scanOnPush": True},
                tags=[{"Key": key, "Value": value} for key, value in sorted((tags or {}).items())],
            )
            repository = created["repository"]
        if not repository.get("imageScanningConfiguration", {}).get("scanOnPush"):
            run(
                f"turn on scan on push for {name}",
                self.api.put_image_scanning_configuration,
                repositoryName=name,
                imageScanningConfiguration={"scanOnPush": True},
            )
        run(
            f"set the lifecycle policy of {name}",
            self.api.put_lifecycle_policy,
            repositoryName=name,
            lifecyclePolicyText=lifecycle_policy(),
        )
        return str(repository["repositoryUri"])

    def repository_uri(self, name: str) -> str:
        """The URI of an existing repository; NotFoundError when there is none."""
        found = run(f"describe ECR repository {name}", self.api.describe_repositories, repositoryNames=[name])
        return str(found["repositories"][0]["repositoryUri"])

    def authorization(self) -> tuple[str, RegistryAuth]:
        """The registry host and the credentials a push and the registry API take (valid 12 h)."""
        found = run("get an ECR login token", self.api.get_authorization_token)
        data = found["authorizationData"][0]
        username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
        host = str(data["proxyEndpoint"]).removeprefix("https://")
        return host, RegistryAuth(username, password)

    def image_digest(self, repository: str, tag: str) -> str | None:
        """The digest `repository:tag` points at, or None if there is no such tag."""
        try:
            found = run(
                f"describe image {repository}:{tag}",
                self.api.describe_images,
                repositoryName=repository,
                imageIds=[{"imageTag": tag}],
            )
        except NotFoundError:
            return None
        details = found.get("imageDetails", [])
        return str(details[0]["imageDigest"]) if details else None

    def _manifest(self, image: EcrImage) -> dict[str, str] | None:
        ident = {"imageDigest": image.digest} if image.digest else {"imageTag": image.tag or "latest"}
        found = run(
            f"read image {image.repository}",
            self.api.batch_get_image,
            repositoryName=image.repository,
            registryId=image.account,
            imageIds=[ident],
            acceptedMediaTypes=_MANIFEST_TYPES,
        )
        images = found.get("images", [])
        return dict(images[0]) if images else None

    def exists(self, image: str) -> bool:
        """True when `image` can still be pulled (always True for images outside ECR)."""
        parsed = parse_ecr(image)
        if parsed is None:
            return True
        try:
            return self._manifest(parsed) is not None
        except AwsError as exc:
            if exc.code in ("RepositoryNotFoundException", "ImageNotFoundException"):
                return False
            raise

    def protect(self, image: str, tag: str) -> bool:
        """Add `tag` to the deployed image so lifecycle rules keep it; False for non-ECR images."""
        parsed = parse_ecr(image)
        if parsed is None:
            return False
        manifest = self._manifest(parsed)
        if manifest is None:
            raise DeployError(
                f"protect {image}: the image is not in its ECR repository",
                hint="it was deleted after the deploy started; deploy again to push it",
            )
        try:
            run(
                f"tag image {parsed.repository} as {tag}",
                self.api.put_image,
                repositoryName=parsed.repository,
                registryId=parsed.account,
                imageManifest=manifest["imageManifest"],
                imageTag=tag,
                **(
                    {"imageManifestMediaType": manifest["imageManifestMediaType"]}
                    if manifest.get("imageManifestMediaType")
                    else {}
                ),
            )
        except AwsError as exc:
            if exc.code != "ImageAlreadyExistsException":  # the same digest already has this tag
                raise
        return True
