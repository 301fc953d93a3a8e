"""Static assets: hashed names, a year of caching, and the page-weight budget of the pages."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from conftest import FakeSensorsApi, HtmlDoc

BUDGET = 150 * 1024


def asset_urls(doc: HtmlDoc) -> list[str]:
    urls = [link.attrs["href"] for link in doc.all("link")]
    urls += [script.attrs["src"] for script in doc.all("script")]
    urls += [img.attrs["src"] for img in doc.all("img")]
    return sorted(set(urls))


def test_assets_have_content_hashed_names_and_long_cache(
    client: TestClient, home_api: FakeSensorsApi, parse: type[HtmlDoc]
) -> None:
    urls = asset_urls(parse(client.get("/").text))

    assert {url.split("/")[-1].split(".")[0] for url in urls} == {"app", "icon"}
    for url in urls:
        assert url.startswith("/static/")
        name = url.rsplit("/", 1)[1]
        assert len(name.split(".")[-2]) == 12  # the content hash
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    types = {url.rsplit(".", 1)[1]: client.get(url).headers["content-type"] for url in urls}
    assert types == {
        "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "svg": "image/svg+xml",
    }


def test_unknown_or_outdated_asset_is_404(client: TestClient) -> None:
    assert client.get("/static/app.000000000000.css").status_code == 404
    assert client.get("/static/app.css").status_code == 404


def test_pages_are_never_cached(client: TestClient, home_api: FakeSensorsApi) -> None:
    assert client.get("/").headers["cache-control"] == "no-store"
    assert client.get("/partials/overview").headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/sensors/living-room?range=7d"])
def test_page_weight_is_within_budget(
    client: TestClient,
    home_api: FakeSensorsApi,
    parse: type[HtmlDoc],
    capsys: pytest.CaptureFixture[str],
    path: str,
) -> None:
    page = client.get(path)
    sizes = {path: len(page.content)}
    for url in asset_urls(parse(page.text)):
        sizes[url] = len(client.get(url).content)
    total = sum(sizes.values())

    with capsys.disabled():
        detail = ", ".join(f"{url} {size / 1024:.1f} KB" for url, size in sizes.items())
        summary = f"{total / 1024:.1f} KB of {BUDGET // 1024} KB"
        sys.stdout.write(f"\npage weight of {path} (6 sensors, uncompressed): {summary} ({detail})\n")
    assert total <= BUDGET
