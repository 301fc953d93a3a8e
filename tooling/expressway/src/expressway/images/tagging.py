"""Image tags from git: the commit SHA, plus `-dirty-<hash>` when the tree has local changes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from expressway.images.errors import ImageError
from expressway.images.process import Runner, run

SHORT = 12  # hex digits of the SHA in a tag: unique in practice, short enough to read in a table


@dataclass(frozen=True)
class Revision:
    """Where the source of an image came from."""

    sha: str  # full commit SHA of HEAD
    epoch: int  # HEAD's commit time: SOURCE_DATE_EPOCH, so the same source gives the same image
    dirty: str | None  # hash of uncommitted changes (tracked and untracked), None when clean

    @property
    def tag(self) -> str:
        """The image tag: `<sha12>`, or `<sha12>-dirty-<hash12>` when there are local changes."""
        if self.dirty is None:
            return self.sha[:SHORT]
        return f"{self.sha[:SHORT]}-dirty-{self.dirty[:SHORT]}"


def read_revision(root: Path, *, runner: Runner = run) -> Revision:
    """Read HEAD and the working tree's state; the same changes always give the same dirty hash."""

    def git(*args: str) -> str:
        return runner(["git", "-C", str(root), *args]).stdout

    try:
        sha, epoch = git("log", "-1", "--format=%H %ct", "HEAD").split()
    except ImageError as exc:
        raise ImageError(
            f"cannot tag an image of {root}: it is not a git checkout with a commit",
            hint="commit first; the tag is the commit SHA",
        ) from exc
    status = git("status", "--porcelain", "--untracked-files=all")
    if not status.strip():
        return Revision(sha=sha, epoch=int(epoch), dirty=None)
    changes = hashlib.sha256(git("diff", "HEAD", "--binary", "--no-color", "--no-ext-diff").encode())
    untracked = git("ls-files", "--others", "--exclude-standard", "-z").split("\0")
    for name in sorted(filter(None, untracked)):
        changes.update(f"\0{name}\0".encode())
        path = root / name
        if path.is_file():
            changes.update(path.read_bytes())
    return Revision(sha=sha, epoch=int(epoch), dirty=changes.hexdigest())


def source_url(root: Path, *, runner: Runner = run) -> str:
    """The `origin` remote's URL for the OCI source label, or "" when there is none."""
    try:
        url = runner(["git", "-C", str(root), "remote", "get-url", "origin"]).stdout.strip()
    except ImageError:
        return ""
    parts = urlsplit(url)
    if parts.scheme in {"http", "https"} and "@" in parts.netloc:
        # Credentials in a remote URL must never end up in an image label anyone can read.
        return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return url
