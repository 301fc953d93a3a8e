"""Developer tasks for homestack and expressway. `nox -l` lists them; arguments after `--` pass through."""

from __future__ import annotations

import tomllib
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "typecheck", "tests"]

ROOT = Path(__file__).parent
PYTHON = "3.11"


def _members() -> dict[str, tuple[str, str, bool]]:
    """Map each workspace member's short name to (distribution name, folder, whether it declares a
    `test` dependency group), from the workspace globs."""
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    found: dict[str, tuple[str, str, bool]] = {}
    for pattern in workspace["members"]:
        for folder in sorted(ROOT.glob(pattern)):
            manifest = folder / "pyproject.toml"
            if manifest.is_file():
                document = tomllib.loads(manifest.read_text())
                has_test_group = "test" in document.get("dependency-groups", {})
                found[folder.name] = (
                    document["project"]["name"],
                    folder.relative_to(ROOT).as_posix(),
                    has_test_group,
                )
    return found


MEMBERS = _members()
# Members whose suites are long and made of independent tests: pytest-xdist runs them on every core.
XDIST = {"expressway", "localcloud"}


def sync(session: nox.Session, *args: str) -> None:
    """Install into the session's venv exactly what uv.lock says (fails if the lockfile is stale)."""
    session.run_install(
        "uv",
        "sync",
        "--locked",
        "--no-default-groups",
        *args,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )


@nox.session(python=PYTHON)
@nox.parametrize("member", list(MEMBERS), ids=list(MEMBERS))
def tests(session: nox.Session, member: str) -> None:
    """Run one member's tests in a venv holding only that member and its declared dependencies."""
    package, folder, has_test_group = MEMBERS[member]
    # A member's own `test` group holds what only its tests need (expressway's: the emulation).
    sync(session, "--package", package, "--group", "dev", *(["--group", "test"] if has_test_group else []))
    # `podman` tests build and run real containers: `nox -s containers` runs them.
    spread = ["-n", "auto"] if member in XDIST else []
    session.run("pytest", f"{folder}/tests", "-m", "not podman", *spread, *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff (no changes made)."""
    sync(session, "--only-group", "dev")
    session.run("ruff", "check", *session.posargs, ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """Type-check every member, sources and tests, with mypy in strict mode."""
    sync(session, "--all-packages", "--group", "dev", "--group", "reliability")
    for _, folder, _ in MEMBERS.values():
        targets = [path for path in (f"{folder}/src", f"{folder}/tests") if (ROOT / path).is_dir()]
        session.run("mypy", *session.posargs, *targets)
    session.run("mypy", "noxfile.py", "conftest.py")
    session.run("mypy", "bench")
    session.run("mypy", "harness")
    session.run("mypy", "reliability")


# --- expressway: thin sessions that pass their arguments to the CLI (no deploy logic here) ---

# session name = expressway verb -> what `nox -l` says about it
EXPRESSWAY_COMMANDS = {
    "validate": "Check services.toml offline (`nox -s validate -- --json`).",
    "plan": "Show what a deploy would change (`nox -s plan -- --all --env prod`); changes fail the session.",
    "deploy": "Deploy and wait until it serves (`nox -s deploy -- sensors --env prod --image URI`).",
    "status": "Every service's state, URL, version and shared ALB (`nox -s status -- --env prod`).",
    "destroy": "Delete one service (`nox -s destroy -- sensors --env prod`); tables, roles and logs stay.",
    "rollback": "Redeploy an earlier version's exact image and config (`nox -s rollback -- sensors`).",
    "history": "What was deployed when, by whom (`nox -s history -- sensors [--json]`).",
    "logs": "A service's log lines (`nox -s logs -- sensors [--follow] [--since 10m] [--json]`).",
    "cost": "Monthly cost estimate per service and total (`nox -s cost -- [--env prod] [--json]`).",
    "new": "Scaffold services/NAME and register it (`nox -s new -- weather`).",
}


def _expressway_session(command: str, description: str) -> None:
    """Register `nox -s <command>`: `expressway <command> <posargs>` from a venv synced to the lockfile."""

    def run(session: nox.Session) -> None:
        sync(session, "--package", "expressway")
        session.run("expressway", command, *session.posargs, external=False)

    run.__doc__ = description
    nox.session(name=command, python=PYTHON, default=False)(run)


for _command, _description in EXPRESSWAY_COMMANDS.items():
    _expressway_session(_command, _description)


@nox.session(python=PYTHON, default=False)
def bench_deploy(session: nox.Session) -> None:
    """Deploy benchmark against the emulation (`-- --delay 10`); prints figures and PASS/MISS."""
    sync(session, "--package", "localcloud")  # the emulation; it brings expressway along
    session.run("python", "-m", "bench.deploy", *session.posargs)


# --- sensors: run the API locally, and the load benchmark (both outside the default sessions) ---


@nox.session(python=PYTHON, default=False)
def serve(session: nox.Session) -> None:
    """Run the sensors API on 127.0.0.1:8000 against a local moto server seeded with demo sensors."""
    sync(session, "--all-packages", "--group", "dev")
    session.run("python", "-m", "harness.serve", *session.posargs)


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Load benchmarks beside their baselines; print figures, ratios and PASS/MISS per target."""
    sync(session, "--all-packages", "--group", "dev")
    session.run("python", "-m", "bench.sensors", *session.posargs)
    # What the shared service stack costs per request, in process (calls per request do not drift).
    session.run("python", "-m", "bench.sensors.stack")


# --- ingest: the write-path load benchmark (outside the default sessions; CI runs it via .ci/run) ---


@nox.session(python=PYTHON, default=False)
def bench_ingest(session: nox.Session) -> None:
    """Batched ingest vs one PutItem per reading, simulator as load; readings/s, ratio, table audit."""
    sync(session, "--all-packages", "--group", "dev")
    session.run("python", "-m", "bench.ingest", *session.posargs)


# --- dashboard: the real-browser tests (outside the default sessions; CI runs them via .ci/run) ---


@nox.session(python=PYTHON, default=False)
def browser(session: nox.Session) -> None:
    """Drive the dashboard in headless Chromium (Debian's chromium) against the sensors service on moto."""
    # The whole workspace: the test starts the real sensors service next to the dashboard.
    sync(session, "--all-packages", "--group", "dev")
    session.run("pytest", "services/dashboard/tests/browser", "-m", "browser", *session.posargs)


# --- the local cloud ---------------------------------------------------------------------


@nox.session(python=PYTHON, default=False)
def dev(session: nox.Session) -> None:
    """Run the whole fleet on this machine, then open http://dashboard.localhost:8080."""
    sync(session, "--all-packages")
    # Ctrl-C: give the local cloud time to stop its processes (nox's default is to kill after 0.5 s).
    session.run("expressway", "dev", *session.posargs, interrupt_timeout=30, terminate_timeout=10)


@nox.session(python=PYTHON, default=False)
def localcloud(session: nox.Session) -> None:
    """End to end: `expressway dev` on free ports, every service through the router, a redeploy under load."""
    sync(session, "--all-packages", "--group", "dev")
    session.run("mypy", "tooling/localcloud/e2e/tests")
    session.run("pytest", "tooling/localcloud/e2e/tests", *session.posargs)


# --- images: real container builds (slow, needs podman; CI installs it in .ci/run) ---


@nox.session(python=PYTHON, default=False)
def containers(session: nox.Session) -> None:
    """Build, run and push every service's image with podman for real, then compare sizes (slow)."""
    sync(session, "--package", "expressway", "--group", "dev", "--group", "test")
    session.run("pytest", "tooling/expressway/tests/containers", "-m", "podman", *session.posargs)
    session.run("python", "-m", "bench.image_sizes")


@nox.session(python=PYTHON, default=False)
def workflows(session: nox.Session) -> None:
    """Audit the GitHub workflows with zizmor, offline (pinned actions, permissions, injection)."""
    sync(session, "--only-group", "workflows")
    session.run("zizmor", "--offline", "--min-severity", "low", ".github/workflows", *session.posargs)


# --- reliability: fuzzing, faults, security and load with figures (outside the defaults; CI runs it) ---


@nox.session(python=PYTHON, default=False)
def reliability(session: nox.Session) -> None:
    """Bad input, injected faults and load on the whole fleet; prints cases, faults, requests, losses,
    p99 and memory growth (`nox -s reliability -- --duration 20` shortens each load phase)."""
    sync(session, "--all-packages", "--group", "dev", "--group", "reliability")
    # `python -m` puts the repository root on sys.path: the suite runs the fleet with harness/.
    session.run("python", "-m", "pytest", "reliability", *session.posargs)
