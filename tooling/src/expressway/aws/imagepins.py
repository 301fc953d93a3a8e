"""ECR side of rollback: keep deployed images from lifecycle cleanup, and check a target still exists."""

from __future__ import annotations

import re
from dataclasses import dataclass

from expressway.aws.session import client, run
from expressway.errors import AwsError, DeployError
from expressway.registry import Environment

# <account>.dkr.ecr.<region>.amazonaws.com/<repository>(@sha256:...|:tag)
_ECR = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repo>[a-z0-9][a-z0-9._/-]*?)(?:@(?P<digest>sha256:[0-9a-f]{64})|:(?P<tag>[\w.-]+))?$"
)
# aws/ecr.py's lifecycle policy (rule 1) never expires an image with a tag starting with this.
PROTECT_PREFIX = "deployed-"
# Asked for explicitly so ECR returns the manifest as pushed instead of converting it.
_MANIFEST_TYPES = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
]


@dataclass(frozen=True)
class EcrImage:
    account: str
    region: str
    repository: str
    digest: str | None
    tag: str | None


def parse_ecr(image: str) -> EcrImage | None:
    """The ECR parts of `image`, or None for an image elsewhere (Docker Hub, GHCR: not ours to keep)."""
    match = _ECR.match(image)
    if match is None:
        return None
    return EcrImage(match["account"], match["region"], match["repo"], match["digest"], match["tag"])


def protect_tag(env_name: str, version: str) -> str:
    """`deployed-<env>-<sha12>`: one per deployed version, so every rollback target keeps its image."""
    safe = re.sub(r"[^\w.-]", "-", version)[:40]
    return f"{PROTECT_PREFIX}{env_name}-{safe}"


class ImagePins:
    """Tags deployed images in ECR and answers whether a recorded image can still be pulled."""

    def __init__(self, env: Environment) -> None:
        self.api = client(env, "ecr")

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
