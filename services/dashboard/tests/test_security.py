"""Everything from the API is escaped, and every response carries the security headers."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from conftest import FakeSensorsApi, HtmlDoc, SensorData

PAGES = ["/", "/partials/overview", "/sensors/kitchen", "/partials/sensor?id=kitchen", "/sensors/missing"]


def assert_inert(doc: HtmlDoc, source: str) -> None:
    """No script but our own module, no event handler attribute, no inline style, no stray markup."""
    scripts = doc.all("script")
    assert all(s.attrs.get("type") == "module" and s.attrs["src"].startswith("/static/app.") for s in scripts)
    for element in doc.elements:
        assert not [name for name in element.attrs if name.startswith("on")], element
        assert "style" not in element.attrs, element
        assert element.tag not in {"img", "b"} or element.attrs.get("src", "").startswith("/static/"), element
    assert "<script>window" not in source


def test_hostile_id_and_name_are_escaped_on_the_overview(
    client: TestClient, home_api: FakeSensorsApi, data: SensorData, parse: type[HtmlDoc]
) -> None:
    source = client.get("/").text
    doc = parse(source)

    assert_inert(doc, source)
    link = doc.one("a", href="/sensors/" + quote(data.hostile_id, safe=""))
    assert link.text == data.hostile_name  # shown as text, exactly as stored
    assert data.hostile_id in [span.text for span in doc.all("span", class_="sensor-id")]


def test_hostile_id_and_name_are_escaped_on_the_sensor_page(
    client: TestClient, home_api: FakeSensorsApi, data: SensorData, parse: type[HtmlDoc]
) -> None:
    source = client.get("/sensors/" + quote(data.hostile_id, safe="")).text
    doc = parse(source)

    assert_inert(doc, source)
    assert doc.one("h1").text == data.hostile_name
    assert doc.one("code").text == data.hostile_id
    assert doc.one("title").text.startswith(data.hostile_name)


def test_hostile_unknown_id_is_escaped_on_the_404_page(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    hostile = "<script>alert(1)</script>"
    response = client.get("/sensors/" + quote(hostile, safe=""))

    assert response.status_code == 404
    assert_inert(parse(response.text), response.text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


@pytest.mark.parametrize("path", [*PAGES, "/health", "/nowhere"])
def test_every_response_carries_security_headers(
    client: TestClient, home_api: FakeSensorsApi, path: str
) -> None:
    headers = client.get(path, headers={"Accept": "text/html"}).headers

    policy = {part.split()[0]: part.split()[1:] for part in headers["content-security-policy"].split("; ")}
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script_or_style(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc], path: str
) -> None:
    source = client.get(path).text
    doc = parse(source)

    assert_inert(doc, source)
    assert not doc.all("style")
