"""Container images for services: context assembly, the Dockerfile, builders, tags and push."""

from expressway.images.auth import RegistryAuth
from expressway.images.builders import (
    Builder,
    DockerBuildx,
    Podman,
    detect_builder,
)
from expressway.images.context import BuildContext, assemble_context
from expressway.images.distribution import DistributionClient
from expressway.images.dockerfile import CONTEXT_LABEL, RUNTIME_USER, render_dockerfile
from expressway.images.errors import ImageError
from expressway.images.publish import PublishedImage, build_and_push, publish
from expressway.images.spec import ImageSpec
from expressway.images.tagging import Revision, read_revision
from expressway.registry import DEFAULT_BASE_IMAGE

__all__ = [
    "CONTEXT_LABEL",
    "DEFAULT_BASE_IMAGE",
    "RUNTIME_USER",
    "BuildContext",
    "Builder",
    "DistributionClient",
    "DockerBuildx",
    "ImageError",
    "ImageSpec",
    "Podman",
    "PublishedImage",
    "RegistryAuth",
    "Revision",
    "assemble_context",
    "build_and_push",
    "detect_builder",
    "publish",
    "read_revision",
    "render_dockerfile",
]
