"""Which folders a service's `path` may name: the uv workspace's members, read from the pyproject.toml
beside services.toml (`[tool.uv.workspace]` members and exclude globs, as uv reads them:
https://docs.astral.sh/uv/concepts/projects/workspaces/).

Without a workspace there (no pyproject.toml, or one without `[tool.uv.workspace]`), a `path` is held
to its form only (relative, plain names, see models.py) and must not lead out of the folder through a
link; building an image from it fails later, naming the missing member.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from expressway.errors import ConfigError


@dataclass(frozen=True)
class Workspace:
    """The folder holding services.toml and, when it is a uv workspace root, its members' folders."""

    root: Path
    members: frozenset[str] | None  # relative POSIX folders; None: no workspace here

    def problem(self, path: str) -> str | None:
        """Why `path` (already of a valid form) may not be a service's folder, or None."""
        if self.members is not None:
            if path in self.members:
                return None
            listed = ", ".join(sorted(self.members)) or "none"
            return (
                f"{path!r} is not the folder of a uv workspace member (pyproject.toml "
                f"[tool.uv.workspace] members inside the repository: {listed})"
            )
        folder = self.root / path
        if folder.exists() and not folder.resolve().is_relative_to(self.root.resolve()):
            return f"{path!r} leads out of the repository (it resolves to {folder.resolve()})"
        return None


def _globs(table: dict[str, Any], key: str, manifest: Path) -> list[str]:
    found = table.get(key, [])
    if not isinstance(found, list) or not all(isinstance(g, str) and g for g in found):
        raise ConfigError([f"{manifest}: tool.uv.workspace.{key}: not a list of folder globs"])
    return found


def _matches(root: Path, patterns: list[str]) -> set[Path]:
    matched: set[Path] = set()
    for pattern in patterns:
        try:
            matched.update(root.glob(pattern))
        # Path.glob refuses an empty pattern (ValueError) and an absolute one (NotImplementedError,
        # "Non-relative patterns are unsupported"): neither names a folder inside the repository.
        except (ValueError, NotImplementedError):
            continue
    return matched


def find_workspace(root: Path) -> Workspace:
    """The workspace whose root is `root`; its members are the folders holding a pyproject.toml that
    a members glob matches, no exclude glob matches, and that stay inside `root` through links."""
    manifest = root / "pyproject.toml"
    try:
        document = tomllib.loads(manifest.read_text())
    except FileNotFoundError:
        return Workspace(root, None)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:  # TOMLDecodeError is one
        raise ConfigError(
            [f"{manifest}: cannot read the uv workspace that service paths are checked against: {exc}"]
        ) from exc
    table = document.get("tool", {}).get("uv", {}).get("workspace")
    if not isinstance(table, dict):
        return Workspace(root, None)
    inside = root.resolve()
    excluded = _matches(root, _globs(table, "exclude", manifest))
    members = set()
    for folder in _matches(root, _globs(table, "members", manifest)) - excluded:
        if (
            folder.is_dir()
            and (folder / "pyproject.toml").is_file()
            and folder.resolve().is_relative_to(inside)
        ):
            relative = folder.relative_to(root).as_posix()
            if ".." not in relative.split("/"):
                members.add(relative)
    return Workspace(root, frozenset(members))
