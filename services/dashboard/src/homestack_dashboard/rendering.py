"""HTML rendering: one Jinja2 environment with autoescaping on for every template."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from homestack_dashboard.assets import Assets

# Pages change every few seconds; never let a browser or proxy serve a stale copy.
NO_STORE = {"Cache-Control": "no-store"}


class Renderer:
    """Renders the package's templates; every value is HTML-escaped unless a template says otherwise."""

    def __init__(self, assets: Assets, poll_seconds: float) -> None:
        self.env = Environment(
            loader=PackageLoader("homestack_dashboard", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals["asset"] = assets.url
        self.env.globals["poll_seconds"] = poll_seconds

    def render(self, template: str, **context: Any) -> str:
        """The template rendered with `context`."""
        return self.env.get_template(template).render(**context)

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        """An HTML response of the rendered template, never cached."""
        return HTMLResponse(self.render(template, **context), status_code=status, headers=NO_STORE)
