"""The version a deploy stamps into APP_VERSION: the git SHA, with `-dirty` for uncommitted changes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def git_version(folder: Path) -> str:
    """`<sha>` of HEAD, `<sha>-dirty` when the tree has changes, `unversioned` outside git."""
    git = shutil.which("git")
    if git is None:
        return "unversioned"
    try:
        # Fixed argv to the git found on PATH, no shell: nothing untrusted reaches it.
        sha = subprocess.run(  # noqa: S603
            [git, "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603
            [git, "status", "--porcelain", "--untracked-files=no"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unversioned"
    return f"{sha}-dirty" if dirty else sha
