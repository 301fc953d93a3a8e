"""Local deploys name the source they run, and their health checks reach `*.localhost` on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from expressway.deploy.waiting import HttpProber
from expressway.images.source import SourceImages
from expressway.testing import json_server


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
    # The Host header it was sent with, where a health check looks for the version.
    with json_server(lambda _path, headers: {"version": headers.get("Host", "")}) as port:
        yield port


def test_localhost_names_reach_loopback_with_their_host_header(echo_host: int) -> None:
    prober = HttpProber(poll=0.0)

    named = prober.verify(
        f"http://sensors.localhost:{echo_host}/health", f"sensors.localhost:{echo_host}", 5.0
    )
    plain = prober.verify(f"http://127.0.0.1:{echo_host}/", f"127.0.0.1:{echo_host}", 5.0)

    assert named == f"200, version sensors.localhost:{echo_host}"
    assert plain == f"200, version 127.0.0.1:{echo_host}"


def test_an_image_is_a_snapshot_of_the_source_it_names_that_later_edits_do_not_touch(tmp_path: Path) -> None:
    images = workspace(tmp_path)
    (tmp_path / "services" / "alpha" / "src" / "alpha").mkdir(parents=True)
    (tmp_path / "services" / "alpha" / "src" / "alpha" / "app.py").write_text("route = 'old'\n")
    (tmp_path / "services" / "alpha" / "pyproject.toml").write_text('[project]\nname = "homestack-alpha"\n')
    (tmp_path / "libs" / "common" / "src").mkdir()
    (tmp_path / "libs" / "common" / "src" / "common.py").write_text("y = 1\n")
    images.apps["alpha"] = "alpha.app:app"
    planned = images.planned("alpha")
    assert planned is not None
    assert not (tmp_path / ".work").exists()  # a plan builds nothing

    image = images.image("alpha")
    (tmp_path / "services" / "alpha" / "src" / "alpha" / "app.py").write_text("route = 'new'\n")

    assert image == planned
    snapshot = tmp_path / ".work" / "sources" / image.rsplit("-", 1)[1]
    assert (snapshot / "services" / "alpha" / "src" / "alpha" / "app.py").read_text() == "route = 'old'\n"
    assert (snapshot / "libs" / "common" / "lib.py").read_text() == "x = 1\n"
    manifest = json.loads((snapshot / "manifest.json").read_text())
    assert manifest == {
        "service": "alpha",
        "app": "alpha.app:app",
        "distribution": "homestack-alpha",
        "pythonpath": ["services/alpha/src", "libs/common/src"],
        "version": "abc123",
    }
    assert images.image("alpha") != image  # the edit is a new source, a new snapshot
