"""Image tags come from git: the commit SHA, and a stable hash of uncommitted changes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from expressway.images.errors import ImageError
from expressway.images.tagging import read_revision, source_url


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "ci@example.com")
    git(tmp_path, "config", "user.name", "ci")
    (tmp_path / ".gitignore").write_text("ignored/\n")
    (tmp_path / "app.py").write_text("VERSION = 1\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first", "--date", "2026-01-01T00:00:00+00:00")
    return tmp_path


def test_clean_tree_is_tagged_with_the_short_commit_sha(repo: Path) -> None:
    revision = read_revision(repo)
    assert revision.sha == git(repo, "rev-parse", "HEAD")
    assert revision.dirty is None
    assert revision.tag == revision.sha[:12]
    assert revision.epoch == int(git(repo, "log", "-1", "--format=%ct"))


def test_modified_file_adds_a_dirty_suffix(repo: Path) -> None:
    (repo / "app.py").write_text("VERSION = 2\n")
    revision = read_revision(repo)
    sha, dirty, digest = revision.tag.split("-")
    assert sha == revision.sha[:12]
    assert dirty == "dirty"
    assert len(digest) == 12


def test_same_changes_give_the_same_tag_and_different_changes_a_different_one(repo: Path) -> None:
    (repo / "app.py").write_text("VERSION = 2\n")
    first = read_revision(repo).tag
    assert read_revision(repo).tag == first
    (repo / "app.py").write_text("VERSION = 3\n")
    assert read_revision(repo).tag != first


def test_untracked_file_makes_the_tree_dirty_and_its_content_counts(repo: Path) -> None:
    (repo / "new.py").write_text("a = 1\n")
    first = read_revision(repo)
    assert first.dirty is not None
    (repo / "new.py").write_text("a = 2\n")
    assert read_revision(repo).dirty != first.dirty


def test_ignored_files_do_not_make_the_tree_dirty(repo: Path) -> None:
    (repo / "ignored").mkdir()
    (repo / "ignored" / "cache.bin").write_bytes(b"\0\1")
    assert read_revision(repo).dirty is None


def test_folder_without_a_commit_is_an_error_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="not a git checkout with a commit") as caught:
        read_revision(tmp_path)
    assert caught.value.hint is not None


def test_source_url_drops_credentials_from_an_https_remote(repo: Path) -> None:
    assert source_url(repo) == ""
    git(repo, "remote", "add", "origin", "https://user:secret@github.com/homestack/expressway.git")
    assert source_url(repo) == "https://github.com/homestack/expressway.git"
