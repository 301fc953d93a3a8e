"""Build and push one service's image, skipping both when the registry already has that content."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from expressway.images.auth import RegistryAuth
from expressway.images.builders import Builder
from expressway.images.context import BuildContext, assemble_context
from expressway.images.distribution import DistributionClient
from expressway.images.dockerfile import CONTEXT_LABEL
from expressway.images.errors import ImageError
from expressway.images.spec import ImageSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishedImage:
    """An image in a registry, and how it got there."""

    repository: str  # `registry/repo`, e.g. `123.dkr.ecr.eu-west-1.amazonaws.com/homestack-sensors`
    tag: str
    digest: str  # manifest digest the registry reports for the tag
    built: bool  # False when the registry already held this tag with the same content

    @property
    def pinned(self) -> str:
        """The reference deploy uses: `repository@digest`, immune to the tag being moved."""
        return f"{self.repository}@{self.digest}"


def publish(
    spec: ImageSpec,
    *,
    root: Path,
    workdir: Path,
    repository: str,
    tag: str,
    epoch: int,
    builder: Builder,
    auth: RegistryAuth | None = None,
    client: Callable[[str, RegistryAuth | None], DistributionClient] | None = None,
) -> PublishedImage:
    """Assemble, build and push `spec` as `repository:tag`; return the digest to pin.

    When the tag already exists and its context label matches what would be built now, nothing
    is built or pushed: the registry's digest is returned as it is.
    """
    registry, _, name = repository.partition("/")
    if not name:
        raise ImageError(f"cannot push to {repository!r}: it is not `registry/repository`")
    context = assemble_context(spec, root, workdir / spec.service, epoch=epoch)
    connect = client or (lambda host, credentials: DistributionClient(host, auth=credentials))
    with connect(registry, auth) as remote:
        existing = remote.labels(name, tag)
        if existing is not None and existing.get(CONTEXT_LABEL) == context.digest:
            digest = remote.digest(name, tag)
            if digest is not None:
                logger.info("%s:%s already holds this content; not rebuilt", repository, tag)
                return PublishedImage(repository, tag, digest, built=False)
        digest = build_and_push(builder, context, f"{repository}:{tag}", auth)
        served = remote.digest(name, tag)
    if served != digest:
        raise ImageError(
            f"push of {repository}:{tag} did not stick: the push reported {digest}, "
            f"the registry now serves {served}",
            hint="another push to the same tag may have raced this one; run the deploy again",
        )
    return PublishedImage(repository, tag, digest, built=True)


def build_and_push(
    builder: Builder, context: BuildContext, destination: str, auth: RegistryAuth | None
) -> str:
    """Build the context under a local name, then push it; return the pushed manifest digest."""
    local = f"localhost/{context.spec.service}:{destination.rsplit(':', 1)[1]}"
    logger.info("building %s with %s", destination, builder.name)
    builder.build(context, local)
    logger.info("pushing %s", destination)
    return builder.push(local, destination, auth)
