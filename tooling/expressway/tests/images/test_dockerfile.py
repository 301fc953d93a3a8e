"""The shared Dockerfile template: non-root, no build tools, labelled, starting the app."""

from __future__ import annotations

import json

from expressway.images.dockerfile import CONTEXT_LABEL, RUNTIME_USER, render_dockerfile
from expressway.images.spec import ImageSpec

SPEC = ImageSpec(
    service="ingest",
    distribution="homestack-ingest",
    path="services/ingest",
    app="homestack_ingest.app:app",
    port=8081,
    base_image="python:3.12-slim",
    revision="0123456789abcdef0123456789abcdef01234567",
    source="https://github.com/homestack/expressway",
)


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    joined = dockerfile.replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        if line.strip() and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword, " ".join(rest.split())))
    return found


def test_image_starts_from_the_base_and_runs_as_a_numeric_non_root_user() -> None:
    steps = instructions(render_dockerfile(SPEC, context_digest="sha256:abc", epoch=1))
    assert steps[0] == ("FROM", "python:3.12-slim")
    users = [args for keyword, args in steps if keyword == "USER"]
    assert users == [RUNTIME_USER]
    uid, gid = RUNTIME_USER.split(":")
    assert int(uid) > 0
    assert int(gid) > 0


def test_build_runs_no_command_so_no_compiler_or_network_is_needed() -> None:
    keywords = {keyword for keyword, _ in instructions(render_dockerfile(SPEC, context_digest="x", epoch=1))}
    assert keywords == {"FROM", "ENV", "COPY", "LABEL", "USER", "EXPOSE", "CMD"}


def test_command_starts_the_services_asgi_app_with_uvicorn_on_its_port() -> None:
    dockerfile = render_dockerfile(SPEC, context_digest="x", epoch=1)
    steps = dict(instructions(dockerfile))
    assert json.loads(steps["CMD"]) == ["python3", "-m", "uvicorn", "homestack_ingest.app:app"]
    assert "UVICORN_PORT=8081" in steps["ENV"]
    assert "UVICORN_HOST=0.0.0.0" in steps["ENV"]
    assert steps["EXPOSE"] == "8081"


def test_oci_labels_carry_source_revision_and_the_context_digest() -> None:
    dockerfile = render_dockerfile(SPEC, context_digest="sha256:abc", epoch=1)
    labels = dict(instructions(dockerfile))["LABEL"]
    assert f'org.opencontainers.image.revision="{SPEC.revision}"' in labels
    assert f'org.opencontainers.image.source="{SPEC.source}"' in labels
    assert f'{CONTEXT_LABEL}="sha256:abc"' in labels


def test_unknown_source_is_left_out_rather_than_labelled_empty() -> None:
    unsourced = ImageSpec(service="ingest", distribution="d", path="p", app="m:app")
    dockerfile = render_dockerfile(unsourced, context_digest="sha256:abc", epoch=1)
    assert "image.source" not in dockerfile
    assert "image.revision" not in dockerfile
    assert '=""' not in dockerfile


def test_dependencies_are_copied_before_the_code_so_their_layer_is_reused() -> None:
    copies = [
        args
        for keyword, args in instructions(render_dockerfile(SPEC, context_digest="x", epoch=1))
        if keyword == "COPY"
    ]
    assert copies == ["deps/ /opt/deps/", "app/ /opt/app/"]


def test_the_comment_shows_the_by_hand_command_with_the_pinned_timestamp() -> None:
    dockerfile = render_dockerfile(SPEC, context_digest="x", epoch=1767225600)
    assert "podman build --platform linux/amd64 --timestamp 1767225600" in dockerfile
