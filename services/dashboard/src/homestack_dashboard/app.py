"""The dashboard app: pages, live fragments, hashed assets, security headers and the sensors API client."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from homestack_common import create_app, error_response
from homestack_dashboard.assets import Assets, assets_router
from homestack_dashboard.pages import router as pages_router
from homestack_dashboard.rendering import Renderer
from homestack_dashboard.security import SecurityHeadersMiddleware
from homestack_dashboard.sensors_api import SensorsApi
from homestack_dashboard.settings import get_settings


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and not request.url.path.startswith("/partials/")


def create_dashboard_app(transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """Build the dashboard; `transport` replaces the network under the sensors API client (tests)."""
    assets = Assets()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = get_settings()
        # httpx logs every request at INFO: with pages polling every few seconds that drowns the log.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        api = SensorsApi(settings, transport=transport)
        app.state.settings = settings
        app.state.sensors_api = api
        app.state.renderer = Renderer(assets, settings.poll_interval_seconds)
        try:
            yield
        finally:
            await api.aclose()

    app = create_app(
        name="dashboard",
        settings=get_settings,
        routers=[assets_router(assets), pages_router],
        lifespan=lifespan,
        description="Live HTML dashboard of the home sensors, read through the sensors API.",
    )
    app.add_middleware(SecurityHeadersMiddleware)

    async def http_error(request: Request, exc: Exception) -> Response:
        # People get a page, programs get the JSON error body every homestack service returns.
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404 and _wants_html(request):
            renderer: Renderer = request.app.state.renderer
            return renderer.page("not_found.html", status=404, sensor_id=None, path=request.url.path)
        return error_response(exc.status_code, exc.detail, headers=dict(exc.headers) if exc.headers else None)

    app.add_exception_handler(StarletteHTTPException, http_error)
    return app


app = create_dashboard_app()
