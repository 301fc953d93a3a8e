"""Local deploys name the source they run, and reach `*.localhost` URLs on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from expressway.local.source import LocalhostTransport, SourceImages


def workspace(root: Path) -> SourceImages:
    (root / "services" / "alpha").mkdir(parents=True)
    (root / "services" / "alpha" / "app.py").write_text("app = 1\n")
    (root / "libs" / "common").mkdir(parents=True)
    (root / "libs" / "common" / "lib.py").write_text("x = 1\n")
    return SourceImages(root, "abc123", {"alpha": "services/alpha"})


def test_the_image_names_the_service_version_and_source(tmp_path: Path) -> None:
    images = workspace(tmp_path)

    image = images.image("alpha")

    assert image.startswith("local/alpha:abc123-")
    assert images.planned("alpha") == image  # nothing to build: a plan knows it up front


def test_editing_the_service_or_a_library_gives_a_new_image(tmp_path: Path) -> None:
    images = workspace(tmp_path)
    first = images.image("alpha")
    (tmp_path / "services" / "alpha" / "__pycache__").mkdir()
    (tmp_path / "services" / "alpha" / "__pycache__" / "app.pyc").write_bytes(b"\0")
    unchanged = images.image("alpha")

    (tmp_path / "libs" / "common" / "lib.py").write_text("x = 2\n")
    after_lib = images.image("alpha")
    (tmp_path / "services" / "alpha" / "app.py").write_text("app = 2\n")
    after_service = images.image("alpha")

    assert unchanged == first  # caches are not source
    assert len({first, after_lib, after_service}) == 3


@pytest.fixture
def echo_host() -> Iterator[int]:
    class Echo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = (self.headers.get("Host") or "").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_localhost_names_reach_loopback_with_their_host_header(echo_host: int) -> None:
    with httpx.Client(transport=LocalhostTransport(), trust_env=False) as client:
        named = client.get(f"http://sensors.localhost:{echo_host}/health")
        plain = client.get(f"http://127.0.0.1:{echo_host}/")

    assert named.text == f"sensors.localhost:{echo_host}"
    assert plain.text == f"127.0.0.1:{echo_host}"
