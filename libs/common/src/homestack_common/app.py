"""The app factory every homestack service is built with."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from pydantic import ValidationError

from homestack_common.errors import ConfigurationError, install_error_handlers
from homestack_common.health import health_router
from homestack_common.logging import configure_logging
from homestack_common.middleware import RequestContextMiddleware
from homestack_common.settings import ServiceSettings, SettingsProvider

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
logger = logging.getLogger("homestack.app")


def _refuse_start(app: FastAPI, error: ConfigurationError) -> None:
    # One clear line, logged here; the request middleware keeps the server from adding a traceback.
    logger.error(str(error))
    app.state.startup_error = str(error)


def settings_error(service: str, exc: ValidationError) -> ConfigurationError:
    """Say which environment variables are wrong and why, without echoing their values (maybe secrets)."""
    problems = [
        f"{'.'.join(str(p) for p in e['loc']).upper() or 'settings'}: {e['msg']}" for e in exc.errors()
    ]
    return ConfigurationError(
        f"{service} configuration is invalid: {'; '.join(problems)}",
        hint="set or fix the environment variables named above, then start the service again",
    )


# What `add_api_route` accepts and an APIRoute keeps as an attribute of the same name (FastAPI 0.165).
_ROUTE_SETTINGS = tuple(
    name
    for name in inspect.signature(APIRouter.add_api_route).parameters
    if name not in ("self", "path", "endpoint", "route_class_override")
)
_PLAIN_LIFESPAN = type(APIRouter().lifespan_context)


def _flat_routes(router: APIRouter) -> list[APIRoute] | None:
    """The router's routes if it is a plain list of them; None if it needs `include_router`."""
    plain = (
        not router.prefix
        and not router.dependencies
        and not router.on_startup
        and not router.on_shutdown
        and type(router.lifespan_context) is _PLAIN_LIFESPAN
        and not getattr(router, "_low_priority_routes", None)  # router.frontend(...) routes
    )
    routes = [route for route in router.routes if isinstance(route, APIRoute)]
    return routes if plain and len(routes) == len(router.routes) else None


def _add_routes(app: FastAPI, router: APIRouter) -> None:
    """Add the router's routes to the app itself, as `@app.get` would, when that means the same thing.

    `include_router` (FastAPI 0.165) keeps a router as one nested entry that every request matches twice
    (once to pick the router, again inside it); flat routes are matched once. FastAPI's hello world
    takes 342 Python calls per request through `include_router`, 258 with its route on the app
    (`python -m bench.sensors.stack`). Each route is registered again on the app's router with every
    setting it carries (tags, responses, dependencies, schema settings...), so it answers to the app's
    `dependency_overrides` like any `@app.get` route. A router with a prefix, its own dependencies,
    startup or shutdown code, a lifespan, frontend routes or non-API routes is included as usual.
    Routes are read once: add them to a router before passing it to `create_app`.
    """
    routes = _flat_routes(router)
    if routes is None:
        app.include_router(router)
        return
    for route in routes:
        settings = {name: getattr(route, name) for name in _ROUTE_SETTINGS}
        app.router.add_api_route(route.path, route.endpoint, route_class_override=type(route), **settings)


def create_app(
    *,
    name: str,
    settings: SettingsProvider[Any],
    routers: Sequence[APIRouter] = (),
    lifespan: Lifespan | None = None,
    title: str | None = None,
    description: str = "",
    version: str = "0.1.0",
) -> FastAPI:
    """Build a service app: health, request ids, access log, JSON errors and graceful shutdown.

    Settings are read when the app starts (lifespan), never here, so `app = create_app(...)` at module
    level is safe to import. `lifespan` opens and closes the service's own resources (clients, caches);
    uvicorn drains in-flight requests on SIGTERM before it runs the shutdown half.
    """

    @asynccontextmanager
    async def service_lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            current: ServiceSettings = settings()
        except (ValidationError, ConfigurationError) as exc:
            error = settings_error(name, exc) if isinstance(exc, ValidationError) else exc
            configure_logging(name)
            _refuse_start(app, error)
            raise error from None
        configure_logging(name, current.log_level, current.log_format)
        logger.info("starting %s", name, extra={"version": current.app_version})
        try:
            if lifespan is None:
                yield
            else:
                async with lifespan(app):
                    yield
        except ConfigurationError as exc:
            _refuse_start(app, exc)
            raise
        finally:
            logger.info("stopped %s", name)

    app = FastAPI(
        title=title or f"homestack {name}",
        description=description,
        version=version,
        lifespan=service_lifespan,
    )
    app.state.service_name = name
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    for router in (health_router(name, settings), *routers):
        _add_routes(app, router)
    return app
