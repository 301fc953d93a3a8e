"""The running local cloud's session: its endpoint, its per-session credentials and its control
token, in a state file only its owner can read (the local cloud writes it; expressway reads it).

The file lives in `$EXPRESSWAY_STATE_DIR`, else `$XDG_RUNTIME_DIR/expressway`, else
`~/.local/state/expressway`, one per endpoint (`localcloud-127.0.0.1-4566.json`), so two checkouts
whose local clouds listen on different ports never share one. `EXPRESSWAY_LOCAL_ENDPOINT` moves the
endpoint of every environment that has one (services.toml keeps its own).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from expressway.errors import ExpresswayError

STATE_DIR_VAR = "EXPRESSWAY_STATE_DIR"
ENDPOINT_VAR = "EXPRESSWAY_LOCAL_ENDPOINT"
IDENTITY_VAR = "EXPRESSWAY_LOCAL_IDENTITY"  # deployer (default), developer or runtime
START_HINT = "start it with `nox -s dev` (or `uv run expressway dev`) and keep it running"


@dataclass(frozen=True)
class LocalState:
    """What a running local cloud tells its clients."""

    endpoint: str
    pid: int
    control_token: str
    identities: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # name -> key, secret, arn

    def keys(self, name: str) -> tuple[str, str]:
        found = self.identities.get(name)
        if found is None:
            raise ExpresswayError(
                f"local cloud at {self.endpoint}: it has no {name!r} identity",
                hint=f"known: {', '.join(sorted(self.identities)) or 'none'}; check ${IDENTITY_VAR}",
            )
        return found["access_key_id"], found["secret_access_key"]

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "pid": self.pid,
            "control_token": self.control_token,
            "identities": {name: dict(keys) for name, keys in self.identities.items()},
        }


def state_dir() -> Path:
    explicit = os.environ.get(STATE_DIR_VAR)
    if explicit:
        return Path(explicit)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "expressway"
    return Path.home() / ".local" / "state" / "expressway"


def state_path(endpoint: str) -> Path:
    """The state file of the local cloud serving `endpoint` (http://HOST:PORT)."""
    url = urlsplit(endpoint)
    return state_dir() / f"localcloud-{url.hostname or 'localhost'}-{url.port or 80}.json"


def endpoint_of(declared: str) -> str:
    """The endpoint to use for an environment that declares `declared`: $EXPRESSWAY_LOCAL_ENDPOINT wins."""
    return os.environ.get(ENDPOINT_VAR) or declared


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: the file's owner check below decides
    return True


def read(endpoint: str, what: str = "local cloud") -> LocalState:
    """The session of the local cloud at `endpoint`; ExpresswayError naming the fix when none runs."""
    path = state_path(endpoint)
    try:
        info = path.stat()
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise ExpresswayError(f"{what}: no local cloud runs at {endpoint}", hint=START_HINT) from None
    except (OSError, ValueError) as exc:
        raise ExpresswayError(f"{what}: cannot read {path}: {exc}", hint=START_HINT) from None
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ExpresswayError(
            f"{what}: {path} is not private to you (owner uid {info.st_uid}, mode {info.st_mode & 0o777:o})",
            hint="delete it and start the local cloud again; it holds credentials",
        )
    state = LocalState(
        str(document.get("endpoint", endpoint)),
        int(document.get("pid", 0)),
        str(document.get("control_token", "")),
        dict(document.get("identities") or {}),
    )
    if not _alive(state.pid):
        raise ExpresswayError(
            f"{what}: no local cloud runs at {endpoint} (its last session, pid {state.pid}, has ended)",
            hint=START_HINT,
        )
    return state


def write(path: Path, state: LocalState) -> None:
    """Write the state file readable by its owner only (the folder too), atomically."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = path.parent.stat()
    if folder.st_uid != os.getuid() or folder.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ExpresswayError(
            f"local cloud: {path.parent} is not private to you",
            hint=f"set {STATE_DIR_VAR} to a folder only you can write",
        )
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".localcloud-", suffix=".json")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w") as sink:
            json.dump(state.to_json(), sink, indent=2)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def remove(path: Path, pid: int) -> None:
    """Delete the state file if it is still this process's."""
    with contextlib.suppress(OSError, ValueError):
        if int(json.loads(path.read_text()).get("pid", 0)) == pid:
            path.unlink()
