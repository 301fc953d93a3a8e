"""Read-only git queries for `--changed`: commits, files at a commit, and what changed since one."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from expressway.errors import ExpresswayError

_SHA = re.compile(r"^[0-9a-f]{7,40}$")


def is_sha(text: str) -> bool:
    return bool(_SHA.match(text))


class Git:
    """One repository, queried with fixed argv lists (never a shell)."""

    def __init__(self, root: Path) -> None:
        found = shutil.which("git")
        if found is None:
            raise ExpresswayError("--changed: git is not installed", hint="install git, or name services")
        self.git = found
        self.root = root

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - fixed argv to the git on PATH
            [self.git, "-C", str(self.root), *args], capture_output=True, text=True, check=False
        )

    def head(self) -> str:
        done = self._run("rev-parse", "HEAD")
        if done.returncode != 0:
            raise ExpresswayError(
                f"--changed: {self.root} has no commit: {done.stderr.strip()}", hint="commit first"
            )
        return done.stdout.strip()

    def has_commit(self, rev: str) -> bool:
        return self._run("cat-file", "-e", f"{rev}^{{commit}}").returncode == 0

    def show(self, rev: str, path: str) -> str | None:
        """The text of `path` at commit `rev`, or None when it did not exist there."""
        done = self._run("show", f"{rev}:{path}")
        return done.stdout if done.returncode == 0 else None

    def changed_files(self, rev: str, paths: list[str]) -> list[str]:
        """Files under `paths` that differ between `rev` and the working tree, untracked ones included."""
        if not paths:
            return []
        diff = self._run("diff", "--name-only", rev, "--", *paths)
        if diff.returncode != 0:
            raise ExpresswayError(f"--changed: git diff {rev[:12]} failed: {diff.stderr.strip()}")
        new = self._run("ls-files", "--others", "--exclude-standard", "--", *paths)
        return sorted({*diff.stdout.split(), *new.stdout.split()})
