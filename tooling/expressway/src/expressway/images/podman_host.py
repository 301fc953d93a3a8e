"""Podman on a bare Debian host: its own config and storage in a work folder, and a base image.

Facts behind the settings are in the team's containers reference: crun refuses this kind of host's
hybrid cgroup layout (runc works), and podman's default ulimits exceed the hard limits of a root
without CAP_SYS_RESOURCE, so containers get limits below them.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import tempfile
from pathlib import Path

from expressway.images.errors import ImageError
from expressway.images.process import Runner, require_tool, run

LOCAL_BASE = "localhost/pybase:bookworm"
LOCAL_BASE_PYTHON = "3.11"  # python3 in Debian 12 (bookworm)
DEBIAN_MIRROR = "http://deb.debian.org/debian"

_CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""
# Docs, man pages, locales and apt's downloads are not needed to run Python (apt's folders stay).
# Device nodes go too: the runtime mounts its own /dev, and nodes such as dev/zero in a layer make
# any tool that copies the work folder read forever.
_STRIPPED = (
    "dev/*",
    "var/cache/apt/archives/*.deb",
    "var/cache/apt/*.bin",
    "var/lib/apt/lists/*_*",
    "usr/share/doc/*",
    "usr/share/man/*",
    "usr/share/locale/*",
    "usr/share/info/*",
)
_BASE_CHANGES = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",  # import sets none
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
)


def podman_environment(workdir: Path) -> dict[str, str]:
    """Write podman's config and storage settings under `workdir`; return the env that uses them."""
    for folder in ("storage", "tmp"):
        (workdir / folder).mkdir(parents=True, exist_ok=True)
    # Run state (fifos, locks, sockets) is transient by design: it goes to the system's temporary
    # folder, not into the checkout, one folder per work folder.
    runroot = (
        Path(tempfile.gettempdir())
        / f"expressway-podman-{hashlib.sha256(str(workdir.resolve()).encode()).hexdigest()[:12]}"
    )
    runroot.mkdir(mode=0o700, exist_ok=True)
    (workdir / "containers.conf").write_text(_CONTAINERS_CONF)
    (workdir / "storage.conf").write_text(
        f'[storage]\ndriver = "overlay"\ngraphroot = "{workdir / "storage"}"\nrunroot = "{runroot}"\n'
    )
    return {
        "CONTAINERS_CONF": str(workdir / "containers.conf"),
        "CONTAINERS_STORAGE_CONF": str(workdir / "storage.conf"),
        "TMPDIR": str(workdir / "tmp"),  # podman stages layers here; keep them off a small /tmp
    }


def ensure_local_base(
    workdir: Path,
    env: dict[str, str],
    *,
    image: str = LOCAL_BASE,
    mirror: str = DEBIAN_MIRROR,
    runner: Runner = run,
) -> str:
    """Make `image`, a minimal Debian 12 with python3, unless podman already has it.

    The root filesystem tarball is kept in `workdir/base/` (cache it in CI): with it, making the
    image again takes seconds instead of a minute of debootstrap.
    """
    try:
        runner(["podman", "image", "exists", image], env=env)
    except ImageError:
        pass
    else:
        return image
    tarball = workdir / "base" / "bookworm-rootfs.tar"
    if not tarball.is_file():
        _debootstrap(tarball, mirror, runner)
    command = ["podman", "import"]
    for change in _BASE_CHANGES:
        command += ["--change", change]
    runner([*command, str(tarball), image], env=env)
    return image


def _debootstrap(tarball: Path, mirror: str, runner: Runner) -> None:
    debootstrap = require_tool("debootstrap", hint="install it: `apt-get install debootstrap`")
    rootfs = tarball.parent / "rootfs"
    if rootfs.exists():
        shutil.rmtree(rootfs)  # a half-made root from an interrupted run
    rootfs.parent.mkdir(parents=True, exist_ok=True)
    runner(
        [debootstrap, "--variant=minbase", "--include=python3", "bookworm", str(rootfs), mirror],
        timeout=1200,
    )
    pack_rootfs(rootfs, tarball)


def pack_rootfs(rootfs: Path, tarball: Path) -> None:
    """Strip what Python does not need from a debootstrap root and pack it as `tarball`."""
    for pattern in _STRIPPED:
        for child in rootfs.glob(pattern):
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    partial = tarball.with_suffix(".partial")
    with tarfile.open(partial, "w") as archive:
        # numeric owners as they are on disk: the image's files stay owned by root
        archive.add(rootfs, arcname=".", filter=_numeric)
    partial.rename(tarball)
    shutil.rmtree(rootfs)


def _numeric(member: tarfile.TarInfo) -> tarfile.TarInfo:
    member.uname = ""
    member.gname = ""
    return member
