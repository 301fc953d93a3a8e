"""The `/health` route: cheap, no dependency calls, reports the service and its deployed version."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel

from homestack_common.settings import ServiceSettings, SettingsProvider


class Health(BaseModel):
    status: Literal["ok"]
    service: str
    version: str


def health_router(service: str, settings: SettingsProvider[Any]) -> APIRouter:
    """Build the health router for `service`; the version comes from APP_VERSION via settings."""
    router = APIRouter(tags=["health"])

    @router.get("/health", summary="Liveness and deployed version")
    async def read_health() -> Health:
        current: ServiceSettings = settings()
        return Health(status="ok", service=service, version=current.app_version)

    return router
