"""Image size of every service next to a naive image of the same base; prints the ratios.

The naive image is what a first Dockerfile usually looks like: the same base, pip and a compiler
toolchain installed with apt, the whole workspace copied in and `pip install`ed. Run with podman
(CI: `nox -s containers`); state lives in .work/containers like the container tests'.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from expressway.images.builders import Podman
from expressway.images.context import assemble_context
from expressway.images.podman_host import LOCAL_BASE_PYTHON, ensure_local_base, podman_environment
from expressway.images.process import run
from expressway.images.spec import image_spec
from expressway.images.tagging import read_revision
from expressway.images.testing import podman
from expressway.registry import load, resolve

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".work" / "containers"
NAIVE = "localhost/homestack-naive:bench"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")  # HTTPS egress here goes through a proxy CA

NAIVE_DOCKERFILE = """\
FROM {base}
RUN apt-get update && apt-get install -y --no-install-recommends python3-pip python3-dev build-essential
COPY ca-certificates.crt /etc/ssl/certs/build-ca.crt
ENV PIP_CERT=/etc/ssl/certs/build-ca.crt
COPY wheels/ /src/
RUN pip install --break-system-packages /src/*.whl
CMD ["python3", "-m", "uvicorn", "homestack_sensors.app:app", "--host", "0.0.0.0"]
"""


def size(env: dict[str, str], image: str) -> int:
    return int(podman(env, "image", "inspect", "--format", "{{.Size}}", image).strip())


def build_naive(env: dict[str, str], base: str) -> None:
    """The whole workspace pip-installed with build tools (no lockfile, no host-side deps).

    The members go in as wheels built on the host: pip would need uv_build from the index to
    build them from source, and the index reachable from a container here lacks that version.
    """
    context = WORK / "bench" / "naive"
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir(parents=True)
    run(["uv", "build", "--all-packages", "--wheel", "--out-dir", str(context / "wheels")], cwd=ROOT)
    shutil.copy2(CA_BUNDLE, context / "ca-certificates.crt")
    (context / "Dockerfile").write_text(NAIVE_DOCKERFILE.format(base=base))
    podman(env, "build", "--network", "host", "--tag", NAIVE, str(context))


def main() -> int:
    started = time.monotonic()
    env = podman_environment(WORK)
    base = ensure_local_base(WORK, env)
    revision = read_revision(ROOT)
    fleet = load(ROOT / "services.toml")
    builder = Podman(env=env)
    built: dict[str, int] = {}
    for name in sorted(fleet.services):
        spec = image_spec(
            ROOT, resolve(fleet, name, None), revision=revision.sha, base_image=base,
            python_version=LOCAL_BASE_PYTHON,
        )  # fmt: skip
        context = assemble_context(spec, ROOT, WORK / "bench" / name, epoch=revision.epoch)
        image = f"localhost/homestack-{name}:bench"
        builder.build(context, image)
        built[name] = size(env, image)
    build_naive(env, base)
    naive = size(env, NAIVE)
    base_size = size(env, base)
    mb = 1_000_000
    print(f"image sizes (uncompressed, podman), base {base} = {base_size / mb:.1f} MB")
    print(f"{'service':<12}{'image MB':>10}{'naive MB':>10}{'ratio':>8}{'added MB':>10}{'naive added':>12}")
    for name, image_size in built.items():
        print(
            f"{name:<12}{image_size / mb:>10.1f}{naive / mb:>10.1f}{image_size / naive:>8.2f}"
            f"{(image_size - base_size) / mb:>10.1f}{(naive - base_size) / mb:>12.1f}"
        )
    print(f"(ratio = image / naive; measured in {time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
