"""`--changed`: which services run something other than what HEAD would deploy, and why (per service).

What is live (the commit in APP_VERSION of the running revision, and the last deploy record) is compared
with the working tree through every input of the service's image and Express request:
- its own and every workspace library's `pyproject.toml` and `src/` (from uv.lock's graph), and the
  locked third-party packages of its closure (version, source and artifact hashes);
- what every image and request shares: expressway's Dockerfile template and build-context code, the
  registry's defaults (the default base image) and the code that writes the request and its policies
  (SHARED_CODE, when expressway is a workspace member; else its locked version);
- in services.toml: its resolved entry (base image included), its environment, the tables it uses and
  [project].
Tests, docs, other services' code and the rest of expressway (the CLI, how plans print) reach no image.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from expressway.deploy.gitrepo import Git, is_sha
from expressway.errors import ConfigError
from expressway.registry import Registry, parse, resolve

IMAGE_PARTS = ("pyproject.toml", "src")  # what of a workspace member goes into an image (a wheel)
TOOL = "expressway"
# What of expressway's own member goes into every image and every Express request: the Dockerfile
# template and build context (images/), the registry's defaults and derived names (registry/), and the
# request, its policies and its version variable (plan/desired.py, plan/policies.py, plan/live.py).
SHARED_CODE = (
    "src/expressway/images",
    "src/expressway/registry",
    "src/expressway/plan/desired.py",
    "src/expressway/plan/policies.py",
    "src/expressway/plan/live.py",
)


@dataclass(frozen=True)
class Workspace:
    """uv.lock as a graph: workspace members with their folders, and every package's locked deps."""

    members: dict[str, str]  # distribution -> folder
    versions: dict[str, tuple[str, ...]]
    requires: dict[str, tuple[tuple[str, tuple[str, ...]], ...]]  # package -> ((dep, extras), ...)
    extras: dict[str, dict[str, tuple[str, ...]]]  # package -> extra -> deps
    artifacts: dict[str, str]  # package -> its sources and artifact hashes, as one comparable text

    @classmethod
    def from_lock(cls, text: str, source: str = "uv.lock") -> Workspace:
        try:
            lock = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{source}: not valid TOML: {exc}"], hint="run `uv lock`") from exc
        members: dict[str, str] = {}
        versions: dict[str, list[str]] = {}
        requires: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        extras: dict[str, dict[str, tuple[str, ...]]] = {}
        artifacts: dict[str, list[Any]] = {}
        for package in lock.get("package", []):
            name = package["name"]
            where: dict[str, Any] = package.get("source", {})
            folder = where.get("editable") or where.get("virtual")
            if folder is not None:
                members[name] = str(folder)
            versions.setdefault(name, []).append(str(package.get("version", "")))
            deps = requires.setdefault(name, [])
            deps += [(d["name"], tuple(d.get("extra", ()))) for d in package.get("dependencies", [])]
            optional = package.get("optional-dependencies", {})
            extras[name] = {x: tuple(d["name"] for d in ds) for x, ds in optional.items()}
            # What gets installed: where from and which files (hashes), not when uv saw them uploaded.
            files = [package.get("sdist", {}), *package.get("wheels", [])]
            hashes = sorted(str(f.get("hash", f.get("url", ""))) for f in files if f)
            artifacts.setdefault(name, []).append([package.get("version", ""), where, hashes])
        return cls(
            members,
            {k: tuple(sorted(set(v))) for k, v in versions.items()},
            {k: tuple(v) for k, v in requires.items()},
            extras,
            {k: json.dumps(sorted(v, key=json.dumps), sort_keys=True) for k, v in artifacts.items()},
        )

    def member_at(self, folder: str) -> str | None:
        wanted = Path(folder).as_posix().strip("/")
        return next((n for n, f in self.members.items() if Path(f).as_posix().strip("/") == wanted), None)

    def closure(self, package: str) -> set[str]:
        """`package` and everything it needs at run time, extras followed."""
        seen: set[str] = set()
        todo: list[tuple[str, tuple[str, ...]]] = [(package, ())]
        while todo:
            name, wanted = todo.pop()
            new = name not in seen
            seen.add(name)
            nexts = list(self.requires.get(name, ())) if new else []
            for extra in wanted:
                nexts += [(dep, ()) for dep in self.extras.get(name, {}).get(extra, ())]
            todo += [(dep, ex) for dep, ex in nexts if dep not in seen or ex]
        return seen

    def third_party(self, names: set[str]) -> dict[str, tuple[str, ...]]:
        return {n: self.versions.get(n, ()) for n in names if n not in self.members}

    def installed(self, names: set[str]) -> dict[str, str]:
        """What each third-party package of `names` installs (version, source, hashes), comparable."""
        return {n: self.artifacts.get(n, "") for n in names if n not in self.members}


@dataclass(frozen=True)
class Decision:
    """Whether deploying HEAD would change what service `service` runs, and the reason."""

    service: str
    changed: bool
    reason: str
    live: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "changed": self.changed, "reason": self.reason, "live": self.live}


def _inputs(registry: Registry, key: str, env: str) -> dict[str, Any]:
    """What of services.toml goes into service `key`'s request in `env`, by where it is written."""
    if key not in registry.services or env not in registry.environments:
        return {"its services.toml entry": None}
    service = resolve(registry, key, env)
    tables = {f"tables.{t}": registry.tables[t].model_dump() for t in service.tables if t in registry.tables}
    return {
        "its services.toml entry": service.model_dump(),
        f"environments.{env}": registry.environments[env].model_dump(),
        "[project]": registry.project.model_dump(),
        **tables,
    }


def _listed(paths: list[str], limit: int = 3) -> str:
    more = f" and {len(paths) - limit} more" if len(paths) > limit else ""
    return ", ".join(paths[:limit]) + more


class ChangeDetector:
    """Compares live versions with the working tree of `root` (read once per run)."""

    def __init__(self, root: Path, registry: Registry, env: str, git: Git | None = None) -> None:
        self.root, self.registry, self.env = root, registry, env
        self.git = git or Git(root)
        self.head = self.git.head()
        self.now = Workspace.from_lock((root / "uv.lock").read_text())
        self._then: dict[str, tuple[Workspace | None, Registry | None]] = {}
        self._shared: dict[str, list[str]] = {}

    def _at(self, sha: str) -> tuple[Workspace | None, Registry | None]:
        if sha not in self._then:
            lock = self.git.show(sha, "uv.lock")
            text = self.git.show(sha, "services.toml")
            try:
                old_registry = parse(text) if text is not None else None
            except ConfigError:
                old_registry = None
            self._then[sha] = (Workspace.from_lock(lock) if lock else None, old_registry)
        return self._then[sha]

    def decide(self, key: str, live: str | None, failed: str | None = None) -> Decision:
        """One service's decision; `live` is its running version, `failed` why its last deploy failed
        (or, starting `last deploy `, why it did not finish)."""
        reasons = self._reasons(key, live)
        if failed:
            reasons.insert(
                0, failed if failed.startswith("last deploy ") else f"last deploy failed: {failed}"
            )
        if reasons:
            return Decision(key, True, "; ".join(reasons), live)
        assert live is not None
        same = "running HEAD" if self.head.startswith(live) else f"running {live[:12]}"
        return Decision(key, False, f"{same}; no change to its code, dependencies, image or config", live)

    def _shared_reasons(self, live: str, then: Workspace) -> list[str]:
        """Changes since `live` to what every image and request shares (looked up once per commit)."""
        if live not in self._shared:
            folder = self.now.members.get(TOOL)
            if folder is not None:
                paths = [f"{folder}/{part}" for part in SHARED_CODE]
                changed = self.git.changed_files(live, paths)
                found = [f"what every image and request is made from changed: {_listed(changed)}"]
                self._shared[live] = found if changed else []
            else:  # expressway installed from an index: its locked version stands for its code
                before, after = then.versions.get(TOOL, ()), self.now.versions.get(TOOL, ())
                moved = before != after
                shown = f"{'/'.join(before) or '(none)'} -> {'/'.join(after) or '(none)'}"
                self._shared[live] = [f"{TOOL} {shown} (it renders every image and request)"] if moved else []
        return [f"{reason} (since {live[:12]})" for reason in self._shared[live]]

    def _reasons(self, key: str, live: str | None) -> list[str]:
        if live is None:
            return ["not deployed"]
        if not is_sha(live):
            return [f"running version {live!r} is not a commit"]
        if not self.git.has_commit(live):
            return [f"running commit {live[:12]} is not in this clone (git fetch, then retry)"]
        then, old_registry = self._at(live)
        folder = self.registry.service(key).path
        package = self.now.member_at(folder)
        if package is None:
            return [f"{folder} is not a workspace member in uv.lock"]
        if then is None:
            return [f"commit {live[:12]} has no uv.lock"]
        members = {m for m in self.now.closure(package) if m in self.now.members}
        old_package = then.member_at(folder)
        old_closure = then.closure(old_package) if old_package else set()
        members |= {m for m in old_closure if m in then.members and m in self.now.members}
        paths = [f"{self.now.members[m]}/{part}" for m in sorted(members) for part in IMAGE_PARTS]
        reasons = []
        touched: dict[str, int] = {}
        for path in self.git.changed_files(live, paths):
            owner = next(self.now.members[m] for m in members if path.startswith(self.now.members[m] + "/"))
            touched[owner] = touched.get(owner, 0) + 1
        if touched:
            listed = ", ".join(f"{f} ({n} file{'s' * (n > 1)})" for f, n in sorted(touched.items()))
            reasons.append(f"code changed since {live[:12]}: {listed}")
        before = then.third_party(old_closure)
        after = self.now.third_party(self.now.closure(package))
        was, now = then.installed(old_closure), self.now.installed(self.now.closure(package))
        moved = sorted(n for n in was.keys() | now.keys() if was.get(n) != now.get(n))
        if moved:
            shown = ", ".join(
                f"{n} {'/'.join(before.get(n, ())) or '(new)'} -> {'/'.join(after.get(n, ())) or '(gone)'}"
                if before.get(n) != after.get(n)
                else f"{n} {'/'.join(after.get(n, ()))} (other files)"
                for n in moved[:3]
            )
            more = f" and {len(moved) - 3} more" if len(moved) > 3 else ""
            reasons.append(f"locked dependencies changed: {shown}{more}")
        reasons += self._shared_reasons(live, then)
        if old_registry is None:
            reasons.append(f"services.toml at {live[:12]} is missing or no longer valid: cannot compare")
        else:
            old, new = _inputs(old_registry, key, self.env), _inputs(self.registry, key, self.env)
            for part in sorted(old.keys() | new.keys(), key=lambda p: (not p.startswith("its"), p)):
                if old.get(part) != new.get(part):
                    where = part if part.startswith("its") else f"{part} in services.toml"
                    reasons.append(f"{where} changed since {live[:12]}")
        return reasons


def decide_all(
    detector: ChangeDetector, live: Mapping[str, str | None], failed: Mapping[str, str]
) -> list[Decision]:
    """A decision for every service in `live`, in its order."""
    return [detector.decide(key, version, failed.get(key)) for key, version in live.items()]


def changed_text(decisions: list[Decision]) -> str:
    """One line per service: `changed`/`same`, and why."""
    width = max((len(d.service) for d in decisions), default=0)
    return "".join(
        f"{d.service.ljust(width)}  {'changed' if d.changed else 'same   '}  {d.reason}\n" for d in decisions
    )
