"""The dashboard's HTML routes as OpenAPI, so schemathesis can fuzz them too.

The dashboard publishes only /health in its own schema (its pages are HTML for people, kept out of it),
so this suite states the pages' contract here, from the routes in homestack_dashboard.pages: every page
answers HTML, 200 or (for an unknown sensor) 404, whatever the query string says.
"""

from __future__ import annotations

from typing import Any

_HTML = {"text/html": {"schema": {"type": "string"}}}
_ERROR = {"application/json": {"schema": {"type": "object", "required": ["error"]}}}


def _query(name: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": {"type": "string"}}


def _page(parameters: list[dict[str, Any]], *, may_be_missing: bool = False) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": {"description": "the page", "content": _HTML}}
    if may_be_missing:
        # An id the route cannot match (a newline, say) falls through to the app's 404, which answers
        # HTML only to a client that asks for it (Accept: text/html) and JSON to anything else.
        responses["404"] = {"description": "no such sensor", "content": {**_HTML, **_ERROR}}
    if any(p["required"] for p in parameters):
        responses["422"] = {"description": "a required parameter is missing", "content": _ERROR}
    return {"get": {"parameters": parameters, "responses": responses}}


def with_pages(published: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's published schema plus its HTML pages."""
    overview = [_query("sort"), _query("order"), _query("q")]
    sensor_id = {"name": "sensor_id", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        **published,
        "paths": {
            **published["paths"],
            "/": _page(overview),
            "/partials/overview": _page(overview),
            "/sensors/{sensor_id}": _page([sensor_id, _query("range")], may_be_missing=True),
            "/partials/sensor": _page([_query("id", required=True), _query("range")]),
        },
    }
