"""Test helpers shipped with expressway: a small valid registry to mutate, a clean copy of a checkout."""

from __future__ import annotations

import ast
import contextlib
import copy
import json
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import tomlkit

BASE: dict[str, Any] = {
    "project": {"name": "homestack"},
    "environments": {
        "prod": {"region": "eu-west-1", "vpc": "default", "access": "public"},
        "local": {"region": "eu-west-1", "endpoint": "http://127.0.0.1:4566"},
    },
    "tables": {
        "sensors": {"partition_key": "sensor_id"},
        "readings": {"partition_key": "sensor_id", "sort_key": "ts", "ttl_attribute": "expires_at"},
    },
    "services": {
        "sensors": {
            "path": "services/sensors",
            "app": "homestack_sensors.app:app",
            "port": 8000,
            "health": "/health",
            "cpu": 1024,
            "memory": 2048,
            "scaling": {"min": 1, "max": 4, "metric": "cpu", "target": 60},
            "env": {"LOG_LEVEL": "info", "SENSOR_TABLE": "${tables.sensors.name}"},
            "tables": {"sensors": "read", "readings": "read"},
        },
        "ingest": {
            "path": "services/ingest",
            "app": "homestack_ingest.app:app",
            "cpu": 512,
            "memory": 1024,
            "secrets": {"INGEST_API_KEY": "ssm:/homestack/ingest/api-key"},
            "tables": {"sensors": "write", "readings": "write"},
        },
        "dashboard": {
            "path": "services/dashboard",
            "app": "homestack_dashboard.app:app",
            "env": {"SENSORS_URL": "${services.sensors.url}"},
        },
    },
}


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with `changes` merged in; a value of None deletes the key."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def registry_text(changes: dict[str, Any] | None = None) -> str:
    """A services.toml text: the valid base with `changes` merged in."""
    return tomlkit.dumps(merge(BASE, changes or {}))


VERSION = "0123456789abcdef0123456789abcdef01234567"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/homestack/sensors@sha256:" + "a" * 64


class FakeService:
    """Answers health checks as a deployed service would: 200 and the version it runs."""

    def __init__(self, version: str = VERSION) -> None:
        self.version = version
        self.status = 200
        self.body: dict[str, Any] | None = None  # set: answer exactly this JSON instead
        self.urls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        body = self.body if self.body is not None else {"status": "ok", "version": self.version}
        return httpx.Response(self.status, json=body)


# What a checkout holds that is not source: build, test and cache output (can be gigabytes).
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv*", ".nox", ".work", "test-output", "__pycache__", "*_cache", ".hypothesis", "node_modules"
)


def copy_checkout(source: Path, dest: Path) -> Path:
    """Copy the source files of the checkout at `source` to `dest` (no .git, caches or build output).

    In a git checkout that is exactly what git tracks plus untracked files it does not ignore, so a
    test works on the tree a commit would hold, never on gigabytes of local venvs and image caches.
    """
    listing = subprocess.run(  # noqa: S603 - fixed argv to the git on PATH
        ["git", "-C", str(source), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        capture_output=True,
        check=False,
    )
    if listing.returncode != 0:
        shutil.copytree(source, dest, ignore=_NOT_SOURCE, symlinks=True)
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    for name in sorted({n for n in listing.stdout.decode().split("\0") if n}):
        origin = source / name
        if not origin.is_file():  # deleted in the work tree but still in the index
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target, follow_symlinks=False)
    return dest


def free_port() -> int:
    """A loopback port nothing listens on right now (the OS picks it, so parallel runs do not clash)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Every module of the package at `root` -> the modules it imports, wherever the import statement
    is (module level, inside a function, under TYPE_CHECKING): all of them are dependencies.

    Importing `a.b.c` first runs `a/__init__.py` and `a/b/__init__.py` ("The import system", 5.2.1
    Regular packages: https://docs.python.org/3/reference/import.html#regular-packages), so each
    imported module brings an edge to every package above it too; except the importer's own
    packages, which Python has begun loading before the importer runs.
    """
    modules: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join([package, *parts])] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolved against the importing module's package
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in node.names:
                    child = f"{base}.{alias.name}"
                    found.add(child if child in modules else base)
        graph[name] = found | _packages_above(found) - _packages_above({name}) - {name}
    return graph


def _packages_above(modules: set[str]) -> set[str]:
    """Every package that holds one of `modules`: `a` and `a.b` for `a.b.c`."""
    parts = (module.split(".") for module in modules)
    return {".".join(split[:end]) for split in parts for end in range(1, len(split))}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each group of modules that import each other, directly or through others (Tarjan's SCC)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


@contextlib.contextmanager
def json_server(answer: Callable[[str, dict[str, str]], dict[str, Any]]) -> Iterator[int]:
    """An HTTP server on a free loopback port that answers every GET with `answer(path, headers)` as
    JSON (a health endpoint, a proxy relaying one); yields the port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(answer(self.path, dict(self.headers.items()))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
