"""Every service's image, built with podman, pushed to a local registry and run for real."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from expressway.images.builders import Podman
from expressway.images.context import assemble_context
from expressway.images.distribution import DistributionClient
from expressway.images.dockerfile import CONTEXT_LABEL, RUNTIME_USER
from expressway.images.podman_host import LOCAL_BASE_PYTHON, ensure_local_base, podman_environment
from expressway.images.process import run
from expressway.images.publish import PublishedImage, publish
from expressway.images.spec import ImageSpec, image_spec
from expressway.images.tagging import Revision, read_revision
from expressway.images.testing import CONTAINER_TEST_LABEL, podman, wait_for
from expressway.registry import load, resolve
from expressway.testing import free_port

pytestmark = pytest.mark.podman

ROOT = Path(__file__).resolve().parents[4]
WORK = ROOT / ".work" / "containers"  # gitignored; CI may cache it between runs
_TOOLS = ("podman", "runc", "skopeo", "docker-registry", "debootstrap")
SERVICES = sorted(load(ROOT / "services.toml").services)  # every service, not a chosen few

# A container test must never reach AWS: the services start with fake keys and a dead endpoint.
_OFFLINE = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "eu-west-1",  # what ECS sets in a task
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
}


@pytest.fixture(scope="session")
def podman_env() -> dict[str, str]:
    """Podman pointed at its own config and storage under .work/containers (see docs/images.md)."""
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if missing:
        reason = f"container tests need {', '.join(missing)} (apt-get install them; see .ci/run)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    env = podman_environment(WORK)
    podman(env, "rm", "--force", "--time", "1", *labelled(env))  # leftovers of a killed run
    return env


def labelled(env: dict[str, str]) -> list[str]:
    found = podman(env, "ps", "--all", "--quiet", "--filter", f"label={CONTAINER_TEST_LABEL}")
    return found.split() or ["--ignore", "none"]


@pytest.fixture(scope="session")
def base_image(podman_env: dict[str, str]) -> str:
    """Debian 12 + python3 made with debootstrap: Docker Hub's python images are not reachable."""
    return ensure_local_base(WORK, podman_env)


@pytest.fixture(scope="session")
def registry() -> Iterator[str]:
    """Debian's docker-registry (distribution 2.8) on a free loopback port, stopped afterwards."""
    address = f"127.0.0.1:{free_port()}"
    data = WORK / "registry"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    config = WORK / "registry.yml"
    config.write_text(
        "version: 0.1\nlog: {level: warn}\n"
        f"storage:\n  filesystem: {{rootdirectory: {data}}}\n  delete: {{enabled: true}}\n"
        f'http: {{addr: "{address}"}}\n'
    )
    with (WORK / "registry.log").open("w") as log:
        process = subprocess.Popen(
            ["docker-registry", "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        assert wait_for(f"http://{address}/v2/", timeout=20).status_code == 200
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def revision() -> Revision:
    return read_revision(ROOT)


@pytest.fixture(scope="session")
def specs(base_image: str, revision: Revision) -> dict[str, ImageSpec]:
    """Every service in services.toml, built on the local base for its Python."""
    fleet = load(ROOT / "services.toml")
    return {
        name: image_spec(
            ROOT,
            resolve(fleet, name, None),
            revision=revision.sha,
            base_image=base_image,
            python_version=LOCAL_BASE_PYTHON,
        )
        for name in fleet.services
    }


@pytest.fixture(scope="session")
def publish_service(
    specs: dict[str, ImageSpec], podman_env: dict[str, str], registry: str, revision: Revision
) -> Callable[[str], PublishedImage]:
    """Build and push a service once per session (later calls reuse the first result)."""
    done: dict[str, PublishedImage] = {}

    def publish_once(service: str) -> PublishedImage:
        if service not in done:
            done[service] = publish(
                specs[service],
                root=ROOT,
                workdir=WORK / "contexts",
                repository=f"{registry}/homestack-{service}",
                tag=revision.tag,
                epoch=revision.epoch,
                builder=Podman(env=podman_env),
            )
        return done[service]

    return publish_once


def service_env(service: str) -> dict[str, str]:
    """The service's registry env with references filled by local stand-ins, and its secrets."""
    resolved = resolve(load(ROOT / "services.toml"), service, None)
    env = {
        key: re.sub(r"\$\{[^}]*\burl\}", "http://127.0.0.1:9", value) for key, value in resolved.env.items()
    }
    env = {
        key: re.sub(r"\$\{tables\.(\w+)\.name\}", r"homestack-test-\1", value) for key, value in env.items()
    }
    env.update({key: f"container-test-{key.lower()}" for key in resolved.secrets})
    return {**_OFFLINE, **env}


@contextmanager
def running(podman_env: dict[str, str], reference: str, version: str, service: str) -> Iterator[str]:
    """Run `reference` on the host network (no CNI changes) at a free port; yield its base URL."""
    port = free_port()
    name = f"expressway-test-{service}-{os.getpid()}"
    env = {**service_env(service), "APP_VERSION": version, "UVICORN_PORT": str(port)}
    env["UVICORN_HOST"] = "127.0.0.1"
    flags = [flag for key, value in env.items() for flag in ("--env", f"{key}={value}")]
    podman(
        podman_env, "run", "--detach", "--name", name, "--label", CONTAINER_TEST_LABEL, "--network", "host",
        "--tls-verify=false", *flags, reference,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}\n--- {service} container log ---\n{podman(podman_env, 'logs', name)}"
        ) from exc
    finally:
        podman(podman_env, "rm", "--force", "--time", "2", name)


@pytest.fixture(params=SERVICES)
def service(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_pinned_image_answers_health_with_the_deployed_version(
    service: str,
    publish_service: Callable[[str], PublishedImage],
    podman_env: dict[str, str],
    revision: Revision,
) -> None:
    published = publish_service(service)
    # Run what deploy pins (`registry/repo@sha256:...`), pulled back from the registry.
    with running(podman_env, published.pinned, revision.tag, service) as url:
        response = wait_for(f"{url}/health")
    assert response.status_code == 200
    assert response.json()["version"] == revision.tag


def test_pushed_digest_is_the_one_the_registry_serves_for_the_tag(
    service: str, publish_service: Callable[[str], PublishedImage], registry: str, revision: Revision
) -> None:
    published = publish_service(service)
    with DistributionClient(registry) as remote:
        assert remote.digest(f"homestack-{service}", revision.tag) == published.digest
    # A second, independent client agrees: skopeo reads the same digest from the registry.
    inspected = run(
        ["skopeo", "inspect", "--tls-verify=false", f"docker://{registry}/homestack-{service}:{revision.tag}"]
    ).stdout
    assert json.loads(inspected)["Digest"] == published.digest
    with DistributionClient(registry) as remote:
        labels = remote.labels(f"homestack-{service}", revision.tag)
    assert labels is not None
    assert labels["org.opencontainers.image.revision"] == revision.sha
    assert labels[CONTEXT_LABEL].startswith("sha256:")


def test_image_runs_as_non_root_without_pip_or_compilers(
    service: str, publish_service: Callable[[str], PublishedImage], podman_env: dict[str, str]
) -> None:
    published = publish_service(service)
    probe = (
        "import importlib.util, json, os, shutil;"
        "print(json.dumps({'uid': os.getuid(), 'gid': os.getgid(),"
        "'tools': [t for t in ('gcc', 'cc', 'pip', 'pip3', 'uv') if shutil.which(t)],"
        "'pip': importlib.util.find_spec('pip') is not None,"
        "'writable_code': os.access('/opt/app', os.W_OK)}))"
    )
    found = json.loads(
        podman(
            podman_env,
            "run",
            "--rm",
            "--label",
            CONTAINER_TEST_LABEL,
            "--network",
            "none",
            "--tls-verify=false",
            published.pinned,
            "python3",
            "-c",
            probe,
        )
    )
    uid, gid = (int(part) for part in RUNTIME_USER.split(":"))
    assert found == {"uid": uid, "gid": gid, "tools": [], "pip": False, "writable_code": False}


def test_publishing_the_same_source_again_builds_and_pushes_nothing(
    service: str,
    publish_service: Callable[[str], PublishedImage],
    specs: dict[str, ImageSpec],
    podman_env: dict[str, str],
    registry: str,
    revision: Revision,
) -> None:
    first = publish_service(service)
    again = publish(
        specs[service], root=ROOT, workdir=WORK / "contexts", repository=f"{registry}/homestack-{service}",
        tag=revision.tag, epoch=revision.epoch, builder=Podman(env=podman_env),
    )  # fmt: skip
    assert not again.built
    assert again.digest == first.digest


def test_building_the_same_context_again_without_cache_gives_the_same_image(
    specs: dict[str, ImageSpec], podman_env: dict[str, str], revision: Revision, tmp_path: Path
) -> None:
    context = assemble_context(specs[SERVICES[0]], ROOT, tmp_path / "ctx", epoch=revision.epoch)
    builder = Podman(env=podman_env)
    ids = []
    for attempt in ("first", "second"):
        command = builder.build_command(context, f"localhost/reproducible:{attempt}")
        podman(podman_env, *command[1:2], "--no-cache", *command[2:])
        ids.append(
            podman(podman_env, "image", "inspect", "--format", "{{.Id}}", f"localhost/reproducible:{attempt}")
        )
    podman(podman_env, "rmi", "localhost/reproducible:first", "localhost/reproducible:second")
    assert ids[0] == ids[1]
