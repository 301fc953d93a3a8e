"""`--changed` decisions in a git copy of this repository: libs, README, tests, config, lock, failures."""

from __future__ import annotations

import re
from pathlib import Path

from expressway.deploy.changed import ChangeDetector, Workspace, changed_text, decide_all
from expressway.registry import load

from .conftest import ROOT as REPO
from .conftest import commit as _commit
from .conftest import git as _git

SERVICES = ("sensors", "ingest", "dashboard")


def _decide(
    root: Path, live: str | None, failed: dict[str, str] | None = None
) -> dict[str, tuple[bool, str]]:
    registry = load(root / "services.toml")
    detector = ChangeDetector(root, registry, "prod")
    decisions = decide_all(detector, dict.fromkeys(SERVICES, live), failed or {})
    return {d.service: (d.changed, d.reason) for d in decisions}


def _touch(root: Path, folder: str, text: str = "\n# changed\n") -> None:
    target = next(p for p in sorted((root / folder).rglob("*.py")) if p.name == "__init__.py")
    target.write_text(target.read_text() + text)


def test_nothing_changed_when_every_service_runs_head(repo: Path) -> None:
    head = _git(repo, "rev-parse", "HEAD")
    found = _decide(repo, head)
    assert {k: v[0] for k, v in found.items()} == dict.fromkeys(SERVICES, False)
    assert found["sensors"][1].startswith("running HEAD")


def test_a_sensordata_change_redeploys_every_service_that_depends_on_it(repo: Path) -> None:
    deployed = _git(repo, "rev-parse", "HEAD")
    _touch(repo, "libs/sensordata/src")
    _commit(repo, "sensordata fix")
    found = _decide(repo, deployed)
    assert found["sensors"][0]
    assert found["ingest"][0]
    assert not found["dashboard"][0]
    assert re.search(r"code changed since \w{12}: libs/sensordata \(1 file\)", found["ingest"][1])


def test_a_common_change_redeploys_all_and_uncommitted_edits_count(repo: Path) -> None:
    deployed = _git(repo, "rev-parse", "HEAD")
    _touch(repo, "libs/common/src")
    found = _decide(repo, deployed)
    assert all(changed for changed, _ in found.values())


def test_readme_and_test_only_changes_redeploy_nothing(repo: Path) -> None:
    deployed = _git(repo, "rev-parse", "HEAD")
    (repo / "README.md").write_text("# homestack\n\nnew words\n")
    (repo / "services/sensors/tests").mkdir(exist_ok=True)
    (repo / "services/sensors/tests/test_more.py").write_text("def test_x() -> None:\n    pass\n")
    _commit(repo, "docs and tests")
    found = _decide(repo, deployed)
    assert not any(changed for changed, _ in found.values())
    assert found["dashboard"][1].startswith(f"running {deployed[:12]}; no change")


def test_a_failed_deploy_leaves_the_service_changed(repo: Path) -> None:
    head = _git(repo, "rev-parse", "HEAD")
    found = _decide(repo, head, {"dashboard": "deployment ROLLBACK_SUCCESSFUL: circuit breaker"})
    assert found["dashboard"] == (True, "last deploy failed: deployment ROLLBACK_SUCCESSFUL: circuit breaker")
    assert not found["sensors"][0]


def test_a_registry_change_redeploys_only_that_service(repo: Path) -> None:
    deployed = _git(repo, "rev-parse", "HEAD")
    registry = repo / "services.toml"
    text = registry.read_text()
    registry.write_text(text.replace("cpu = 256\nmemory = 512", "cpu = 512\nmemory = 1024"))
    _commit(repo, "bigger dashboard")
    found = _decide(repo, deployed)
    assert found["dashboard"] == (True, f"its services.toml entry changed since {deployed[:12]}")
    assert not found["sensors"][0]


def test_a_locked_version_change_redeploys_the_services_that_use_the_package(repo: Path) -> None:
    deployed = _git(repo, "rev-parse", "HEAD")
    lock = repo / "uv.lock"
    text, count = re.subn(r'(name = "jinja2"\nversion = ")[^"]+"', r'\g<1>9.9.9"', lock.read_text())
    assert count == 1
    lock.write_text(text)
    _commit(repo, "bump jinja2")
    found = _decide(repo, deployed)
    assert found["dashboard"][0]
    assert re.search(r"locked dependencies changed: jinja2 [\d.]+ -> 9\.9\.9", found["dashboard"][1])
    assert not found["sensors"][0]


def test_versions_that_are_not_commits_or_absent_count_as_changed(repo: Path) -> None:
    assert _decide(repo, None)["sensors"] == (True, "not deployed")
    assert _decide(repo, "abc123-dirty")["sensors"] == (
        True,
        "running version 'abc123-dirty' is not a commit",
    )
    assert "is not in this clone" in _decide(repo, "0" * 40)["sensors"][1]


def test_the_lock_graph_follows_extras_and_workspace_members() -> None:
    workspace = Workspace.from_lock((REPO / "uv.lock").read_text())
    assert workspace.member_at("services/ingest") == "homestack-ingest"
    closure = workspace.closure("homestack-ingest")
    assert {"homestack-common", "homestack-sensordata", "boto3", "uvicorn", "uvloop"} <= closure
    assert "homestack-dashboard" not in closure
    assert "jinja2" not in closure


def test_text_lists_each_service_with_its_reason(repo: Path) -> None:
    registry = load(repo / "services.toml")
    decisions = decide_all(ChangeDetector(repo, registry, "prod"), {"sensors": None, "dashboard": None}, {})
    assert changed_text(decisions) == "sensors    changed  not deployed\ndashboard  changed  not deployed\n"


def _edit(root: Path, path: str, old: str, new: str) -> None:
    target = root / path
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new, 1))


EXPRESSWAY = "tooling/expressway/src/expressway"


def test_a_dockerfile_template_change_redeploys_every_service_naming_the_file(repo: Path) -> None:
    deployed = _git(repo, "rev-parse", "HEAD")
    _edit(repo, f"{EXPRESSWAY}/images/dockerfile.py", "PYTHONUNBUFFERED=1", "PYTHONUNBUFFERED=0")
    _commit(repo, "template")
    found = _decide(repo, deployed)
    assert all(changed for changed, _ in found.values())
    assert found["dashboard"][1] == (
        f"what every image and request is made from changed: {EXPRESSWAY}/images/dockerfile.py "
        f"(since {deployed[:12]})"
    )


def test_a_change_to_the_rest_of_expressway_redeploys_nothing(repo: Path) -> None:
    deployed = _git(repo, "rev-parse", "HEAD")
    _edit(repo, f"{EXPRESSWAY}/plan/render.py", '"dim": "2"', '"dim": "2;3"')
    _edit(repo, f"{EXPRESSWAY}/deploy/fleet.py", "One table for the whole run", "One table per run")
    _commit(repo, "cli and rendering")
    assert not any(changed for changed, _ in _decide(repo, deployed).values())


def test_environment_table_and_project_changes_name_where_in_services_toml(repo: Path) -> None:
    deployed = _git(repo, "rev-parse", "HEAD")
    _edit(repo, "services.toml", 'ttl_attribute = "expires_at"', 'ttl_attribute = "expiry"')
    _edit(repo, "services.toml", 'access = "public"', 'access = "public"\nlog_retention_days = 7')
    _commit(repo, "retention and ttl")
    found = _decide(repo, deployed)
    since = f"since {deployed[:12]}"
    assert found["sensors"][1] == (
        f"environments.prod in services.toml changed {since}; "
        f"tables.readings in services.toml changed {since}"
    )
    assert found["dashboard"][1] == f"environments.prod in services.toml changed {since}"
    _edit(repo, "services.toml", 'name = "homestack"', 'name = "homestack"\nbase_image = "python:3.12"')
    found = _decide(repo, deployed)
    assert found["dashboard"][1].startswith(
        f"its services.toml entry changed {since}; [project] in services.toml changed {since}"
    )


def test_other_files_of_the_same_locked_version_count(repo: Path) -> None:
    deployed = _git(repo, "rev-parse", "HEAD")
    lock = repo / "uv.lock"
    text, count = re.subn(
        r'(name = "jinja2"\n(?:.*\n)*?sdist = \{ url = "[^"]+", hash = "sha256:)[0-9a-f]{4}',
        r"\g<1>0000",
        lock.read_text(),
    )
    assert count == 1
    lock.write_text(text)
    _commit(repo, "jinja2 rebuilt upstream")
    found = _decide(repo, deployed)
    assert re.fullmatch(r"locked dependencies changed: jinja2 [\d.]+ \(other files\)", found["dashboard"][1])
    assert not found["sensors"][0]


def test_expressway_from_an_index_counts_by_its_locked_version(repo: Path) -> None:
    editable = 'version = "0.1.0"\nsource = { editable = "tooling/expressway" }'
    _edit(repo, "uv.lock", editable, 'version = "0.1.0"\nsource = { registry = "https://pypi.org/simple" }')
    deployed = _commit(repo, "expressway from PyPI")
    _edit(repo, f"{EXPRESSWAY}/images/dockerfile.py", "PYTHONUNBUFFERED=1", "PYTHONUNBUFFERED=0")
    _commit(repo, "a local edit that is not what runs the deploys")
    assert not any(changed for changed, _ in _decide(repo, deployed).values())
    _edit(repo, "uv.lock", 'version = "0.1.0"\nsource = { registry', 'version = "0.2.0"\nsource = { registry')
    _commit(repo, "expressway 0.2.0")
    assert _decide(repo, deployed)["sensors"][1] == (
        f"expressway 0.1.0 -> 0.2.0 (it renders every image and request) (since {deployed[:12]})"
    )
