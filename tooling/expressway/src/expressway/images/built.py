"""The ImageSource deploy uses without `--image`: build, push to ECR and pin by digest."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from expressway.aws.ecr import Ecr
from expressway.errors import NotFoundError
from expressway.images.auth import RegistryAuth
from expressway.images.builders import Builder, detect_builder
from expressway.images.distribution import DistributionClient
from expressway.images.publish import publish
from expressway.images.spec import image_spec
from expressway.images.tagging import Revision, read_revision, source_url
from expressway.registry import Names, Registry, resolve
from expressway.registry.names import TAG_PROJECT

logger = logging.getLogger(__name__)


def repository_name(registry: Registry, service: str) -> str:
    """The service's ECR repository, shared by every environment: `<project>/<service>`."""
    return Names(registry.project.name, "", "").repository(service)


class BuiltImages:
    """Builds each service's image from this checkout once, pushes it to ECR and pins its digest."""

    def __init__(
        self,
        *,
        root: Path,
        registry: Registry,
        env: str,
        ecr: Ecr,
        builder: Callable[[], Builder] = detect_builder,
        workdir: Path | None = None,
        client: Callable[[str, RegistryAuth | None], DistributionClient] | None = None,
    ) -> None:
        self.root, self.registry, self.env, self.ecr = root, registry, env, ecr
        self._builder = builder
        self._client = client  # how the registry API is reached; tests answer it in memory
        self.workdir = workdir or root / ".work" / "images"
        self._pinned: dict[str, str] = {}
        self._revision: Revision | None = None

    @property
    def revision(self) -> Revision:
        """HEAD and the tree's state, read once per deploy so every service gets the same tag."""
        if self._revision is None:
            self._revision = read_revision(self.root)
        return self._revision

    def image(self, service: str) -> str:
        """`<ecr repo>@sha256:...` for the service, built and pushed unless ECR already has it."""
        if service not in self._pinned:
            revision = self.revision
            spec = image_spec(
                self.root,
                resolve(self.registry, service, self.env),
                revision=revision.sha,
                source=source_url(self.root),
            )
            uri = self.ecr.ensure_repository(
                repository_name(self.registry, service), tags={TAG_PROJECT: self.registry.project.name}
            )
            _, auth = self.ecr.authorization()
            published = publish(
                spec,
                root=self.root,
                workdir=self.workdir,
                repository=uri,
                tag=revision.tag,
                epoch=revision.epoch,
                builder=self._builder(),
                auth=auth,
                client=self._client,
            )
            logger.info("%s: %s (%s)", service, published.pinned, "built" if published.built else "reused")
            self._pinned[service] = published.pinned
        return self._pinned[service]

    def planned(self, service: str) -> str | None:
        """The pinned image if ECR already holds this revision's tag; None when it must be built."""
        if service in self._pinned:
            return self._pinned[service]
        name = repository_name(self.registry, service)
        try:
            uri = self.ecr.repository_uri(name)
        except NotFoundError:
            return None
        digest = self.ecr.image_digest(name, self.revision.tag)
        return f"{uri}@{digest}" if uri and digest else None
