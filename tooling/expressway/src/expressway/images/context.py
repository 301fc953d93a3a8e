"""Build-context assembly: the service, its workspace libraries and its locked dependencies."""

from __future__ import annotations

import hashlib
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from expressway.images.dockerfile import render_dockerfile
from expressway.images.errors import ImageError
from expressway.images.process import Runner, require_tool, run
from expressway.images.spec import ImageSpec

_UV_HINT = "install uv (`python3 -m pip install uv`) and run from the workspace root"
# Console scripts carry the host interpreter's path in their shebang and are useless in the image
# (the CMD runs `python3 -m uvicorn`); caches and bytecode are rebuilt or never needed.
_DROPPED_DIRS = frozenset({"bin", "__pycache__"})
# Installer bookkeeping that records where and when a wheel was installed from (the absolute path
# of the context, a timestamp): dropped so the same source always gives the same context digest.
_DROPPED_METADATA = frozenset({"direct_url.json", "uv_cache.json"})


@dataclass(frozen=True)
class BuildContext:
    """An assembled build context: a folder holding Dockerfile, deps/ and app/, and its digest."""

    spec: ImageSpec
    path: Path
    digest: str  # sha256 over every file that goes into the image and the Dockerfile's content
    epoch: int  # SOURCE_DATE_EPOCH: the timestamp every file and the image config get

    @property
    def dockerfile(self) -> Path:
        """The generated Dockerfile inside the context."""
        return self.path / "Dockerfile"


def assemble_context(
    spec: ImageSpec, root: Path, out: Path, *, epoch: int, runner: Runner = run
) -> BuildContext:
    """Make `out` the build context of `spec`: exactly uv.lock's packages for the image's platform.

    Third-party packages come from `uv export` of the service's locked closure, installed on the
    host as binary wheels for the target platform and the base image's Python, hash-checked. The
    workspace members the service needs are built as wheels and installed next to them.
    """
    uv = require_tool("uv", hint=_UV_HINT)
    if not (root / "uv.lock").is_file():
        raise ImageError(f"cannot assemble {spec.service!r}: {root} has no uv.lock", hint=_UV_HINT)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    locked = out / "requirements.txt"
    export = [uv, "export", "--frozen", "--package", spec.distribution, "--no-dev"]
    export += ["--no-editable", "--no-header", "--no-annotate"]
    runner([*export, "--no-emit-workspace", "--output-file", str(locked)], cwd=root)
    members = _workspace_members(runner([*export, "--no-hashes"], cwd=root).stdout, root)

    wheels = out / "wheels"
    for member in members:
        runner([uv, "build", "--wheel", "--package", member, "--out-dir", str(wheels)], cwd=root)
    target = ["--python-platform", spec.wheel_platform, "--python-version", spec.python]
    install = [uv, "pip", "install", "--quiet", *target, "--no-deps", "--link-mode", "copy"]
    runner(
        [
            *install,
            "--only-binary",
            ":all:",
            "--require-hashes",
            "--target",
            str(out / "deps"),
            "-r",
            str(locked),
        ],
        cwd=root,
    )
    built = sorted(str(wheel) for wheel in wheels.glob("*.whl"))
    runner([*install, "--no-index", "--target", str(out / "app"), *built], cwd=root)
    shutil.rmtree(wheels)
    for layer in ("deps", "app"):
        (out / layer).mkdir(exist_ok=True)
        _prune(out / layer)

    unlabelled = render_dockerfile(spec, context_digest="", epoch=epoch)
    digest = _digest(out, unlabelled)
    (out / "Dockerfile").write_text(render_dockerfile(spec, context_digest=digest, epoch=epoch))
    return BuildContext(spec=spec, path=out, digest=digest, epoch=epoch)


def _workspace_members(exported: str, root: Path) -> list[str]:
    """Distribution names of the workspace members in an export (its `./path` lines)."""
    names: list[str] = []
    for line in exported.splitlines():
        if line.startswith("./"):
            manifest = root / line.strip() / "pyproject.toml"
            names.append(tomllib.loads(manifest.read_text())["project"]["name"])
    return names


def _prune(layer: Path) -> None:
    """Drop what must not ship, and refuse `.pth` files, which PYTHONPATH entries never run."""
    (layer / ".lock").unlink(missing_ok=True)  # uv's lock on the target folder, world-writable
    for found in sorted(layer.rglob("*"), reverse=True):
        if found.is_dir() and found.name in _DROPPED_DIRS:
            shutil.rmtree(found)
    for info in layer.glob("*.dist-info"):
        for name in _DROPPED_METADATA:
            (info / name).unlink(missing_ok=True)
        record = info / "RECORD"
        if record.is_file():
            kept = [
                line
                for line in record.read_text().splitlines()
                if line.split(",", 1)[0].rsplit("/", 1)[-1] not in _DROPPED_METADATA
            ]
            record.write_text("".join(f"{line}\n" for line in kept))
    pth = sorted(p.name for p in layer.glob("*.pth"))
    if pth:
        raise ImageError(
            f"cannot assemble {layer.name}/: it holds {', '.join(pth)}, which Python only runs "
            "from a site directory, not from PYTHONPATH",
            hint="drop the package that needs it, or install it into the base image",
        )


def _digest(context: Path, dockerfile: str) -> str:
    """sha256 over the Dockerfile and each file's path, executable bit and bytes, in path order."""
    digest = hashlib.sha256(dockerfile.encode())
    for layer in ("deps", "app"):
        for found in sorted((context / layer).rglob("*")):
            if found.is_dir():
                continue
            relative = found.relative_to(context).as_posix()
            mode = "x" if found.stat().st_mode & 0o111 else "-"
            digest.update(f"\0{relative}\0{mode}\0".encode())
            digest.update(found.read_bytes())
    return f"sha256:{digest.hexdigest()}"
