"""Static assets served under content-hashed names, so browsers may cache them for a year."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from importlib import resources

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse

IMMUTABLE = "public, max-age=31536000, immutable"
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Asset:
    """One file of the package's static/ folder."""

    name: str
    hashed_name: str
    body: bytes
    media_type: str


class Assets:
    """Every static file, read once: `url("app.css")` -> `/static/app.3f9c1a2b7d.css`."""

    def __init__(self) -> None:
        self._by_name: dict[str, Asset] = {}
        self._by_hashed: dict[str, Asset] = {}
        folder = resources.files("homestack_dashboard") / "static"
        for entry in folder.iterdir():
            if not entry.is_file():
                continue
            body = entry.read_bytes()
            stem, dot, suffix = entry.name.rpartition(".")
            digest = hashlib.sha256(body).hexdigest()[:12]
            hashed = f"{stem}.{digest}.{suffix}" if dot else f"{entry.name}.{digest}"
            media = (
                _TYPES.get(f".{suffix}") or mimetypes.guess_type(entry.name)[0] or "application/octet-stream"
            )
            asset = Asset(entry.name, hashed, body, media)
            self._by_name[entry.name] = asset
            self._by_hashed[hashed] = asset

    def url(self, name: str) -> str:
        """The cache-busting URL of static file `name` (a KeyError for a file that does not exist)."""
        return f"/static/{self._by_name[name].hashed_name}"

    def get(self, hashed_name: str) -> Asset | None:
        return self._by_hashed.get(hashed_name)


def assets_router(assets: Assets) -> APIRouter:
    """`GET /static/{hashed name}`: the file with a one-year immutable cache, or a plain 404."""
    router = APIRouter(include_in_schema=False)

    @router.get("/static/{hashed_name}")
    async def static_file(hashed_name: str) -> Response:
        asset = assets.get(hashed_name)
        if asset is None:
            return PlainTextResponse("no such asset", status_code=404, headers={"Cache-Control": "no-store"})
        return Response(asset.body, media_type=asset.media_type, headers={"Cache-Control": IMMUTABLE})

    return router
