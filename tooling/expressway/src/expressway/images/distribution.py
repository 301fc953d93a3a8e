"""A small client for the OCI distribution API: which digest a tag has, and the image's labels."""

from __future__ import annotations

import json
from typing import Any

import httpx

from expressway.images.auth import RegistryAuth
from expressway.images.builders import is_loopback_registry
from expressway.images.errors import ImageError

_MANIFESTS = ", ".join(
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ]
)
_INDEXES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}


class DistributionClient:
    """Reads manifests and configs from one registry (ECR takes HTTP Basic with its token)."""

    def __init__(
        self,
        registry: str,
        *,
        auth: RegistryAuth | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        # A registry on loopback (the local cloud, CI) speaks plain HTTP; anything else is HTTPS.
        scheme = "http" if is_loopback_registry(registry) else "https"
        self.registry = registry
        self._http = httpx.Client(
            base_url=f"{scheme}://{registry}/v2/",
            auth=(auth.username, auth.password) if auth is not None else None,
            transport=transport,
            follow_redirects=True,  # ECR serves blobs through a redirect to S3
            timeout=30.0,
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def __enter__(self) -> DistributionClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def digest(self, repository: str, reference: str) -> str | None:
        """The manifest digest of `repository:reference`, or None if there is no such tag."""
        response = self._get("head", f"{repository}/manifests/{reference}")
        if response is None:
            return None
        found = response.headers.get("docker-content-digest")
        if not found:
            raise ImageError(f"read {self.registry}/{repository}:{reference}: the registry sent no digest")
        return str(found)

    def labels(self, repository: str, reference: str) -> dict[str, str] | None:
        """The image config's labels, or None if there is no such tag."""
        response = self._get("get", f"{repository}/manifests/{reference}")
        if response is None:
            return None
        manifest: dict[str, Any] = response.json()
        media_type = manifest.get("mediaType") or response.headers.get("content-type", "")
        if media_type in _INDEXES:
            # A single-platform build behind an index: the labels live in its first manifest.
            return self.labels(repository, str(manifest["manifests"][0]["digest"]))
        blob = self._get("get", f"{repository}/blobs/{manifest['config']['digest']}")
        if blob is None:
            raise ImageError(f"read {self.registry}/{repository}:{reference}: config blob missing")
        config: dict[str, Any] = json.loads(blob.content)
        return dict((config.get("config") or {}).get("Labels") or {})

    def _get(self, method: str, path: str) -> httpx.Response | None:
        try:
            response = self._http.request(method.upper(), path, headers={"Accept": _MANIFESTS})
        except httpx.HTTPError as exc:
            raise ImageError(f"reach registry {self.registry}: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code in {401, 403}:
            raise ImageError(
                f"read {self.registry}/{path}: access denied ({response.status_code})",
                hint="the registry token may have expired; log in again",
            )
        if response.is_error:
            raise ImageError(f"read {self.registry}/{path}: HTTP {response.status_code}")
        return response
