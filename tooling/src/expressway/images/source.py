"""Where a deploy gets each service's image: the one seam between deploying and building images."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from expressway.errors import UsageError


class ImageSource(Protocol):
    """Gives the image reference (ideally pinned by digest) to deploy for a service."""

    def image(self, service: str) -> str:
        """The image for registry service `service`; raises ExpresswayError when it has none."""
        ...

    def planned(self, service: str) -> str | None:
        """The image a deploy would use if known without side effects (no build), else None."""
        ...


class GivenImages:
    """Images named on the command line: `--image URI` for every service, or `--image svc=URI`."""

    def __init__(self, default: str | None = None, per_service: Mapping[str, str] | None = None) -> None:
        self.default = default
        self.per_service = dict(per_service or {})

    @classmethod
    def parse(cls, values: list[str]) -> GivenImages:
        """From repeated `--image` values; `svc=URI` when the part before '=' has no '/' or ':'."""
        default: str | None = None
        per: dict[str, str] = {}
        for value in values:
            name, sep, uri = value.partition("=")
            if sep and name and not any(c in name for c in "/:@"):
                per[name] = uri
            else:
                default = value
        return cls(default, per)

    def image(self, service: str) -> str:
        found = self.per_service.get(service, self.default)
        if not found:
            raise UsageError(
                f"deploy {service}: no image given",
                hint=f"pass `--image URI` (or `--image {service}=URI`) with an image the service can pull",
            )
        return found

    def planned(self, service: str) -> str | None:
        """The image if one was given, else None (plans then show the running image)."""
        return self.per_service.get(service, self.default)
