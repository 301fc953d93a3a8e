"""The local cloud's images: a task's image `local/<service>:<version>-<digest>` names a snapshot of
the source it was deployed with (expressway.images.source.SourceImages), which a task runs ahead of
the workspace's editable installs. A missing snapshot is a pull error, as a missing image is on AWS;
a workspace member the dev environment lacks (a service added since `dev` started) is installed
first, from the lockfile."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from expressway.images.source import MANIFEST, SOURCES, snapshot_of


class StartError(Exception):
    """The task cannot start: `reason` is its stoppedReason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Source:
    """One snapshot: where it is and what it runs."""

    folder: Path
    app: str  # "package.module:attribute"
    distribution: str  # the workspace member's distribution name
    pythonpath: tuple[Path, ...]


def _pull_error(image: str, why: str) -> StartError:
    return StartError(
        f"CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve "
        f"ref {image}: {why}"
    )


def resolve(root: Path, image: str) -> Source:
    """The snapshot `image` names under `root`; StartError (a pull error) when there is none."""
    folder = snapshot_of(root, image)
    if folder is None:
        raise _pull_error(
            image, "not a source image: the local cloud runs services from source (deploy with --env local)"
        )
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        raise _pull_error(image, f"{image}: not found in {root / SOURCES}") from None
    if not manifest.get("app"):
        raise _pull_error(image, f"{image}: its manifest names no app")
    return Source(
        folder,
        str(manifest["app"]),
        str(manifest.get("distribution") or ""),
        tuple(folder / path for path in manifest.get("pythonpath") or ()),
    )


class Installer:
    """Installs workspace members the dev environment lacks, one at a time, from the lockfile."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = asyncio.Lock()

    @staticmethod
    def installed(distribution: str) -> bool:
        try:
            importlib.metadata.distribution(distribution)
        except importlib.metadata.PackageNotFoundError:
            return False
        return True

    async def ensure(self, source: Source, say: Callable[[str], None]) -> None:
        """Install `source`'s distribution (and its locked dependencies) unless it is installed."""
        if not source.distribution or self.installed(source.distribution):
            return
        async with self._lock:
            if self.installed(source.distribution):
                return
            uv = shutil.which("uv")
            if uv is None:
                raise StartError(
                    f"CannotStartContainerError: {source.distribution} is not installed in the local "
                    "cloud's environment and uv is not on PATH (run `uv sync --all-packages`)"
                )
            say(f"installing {source.distribution} into the local cloud's environment (uv sync)")
            command = [
                uv,
                "sync",
                "--locked",
                "--inexact",
                "--no-default-groups",
                "--package",
                source.distribution,
            ]
            env = {**os.environ, "UV_PROJECT_ENVIRONMENT": sys.prefix}
            process = await asyncio.create_subprocess_exec(
                *command, cwd=self.root, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            output, _ = await process.communicate()
            if process.returncode != 0:
                last = output.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
                raise StartError(
                    f"CannotStartContainerError: installing {source.distribution} failed "
                    f"(uv sync exit {process.returncode}): {last[0]}"
                )
            importlib.invalidate_caches()
