"""`--changed` sees every input of an image and a task definition: a change to what every image shares (the
Dockerfile template expressway renders, the default base image, the code that builds a build context or
an Express request), to the environment a service runs in, or to a table it uses redeploys the services
it reaches, and a change to none of those redeploys nothing. `destroy` leaves a record in the history, and
`plan --changed` counts the services it lists as unchanged in its summary."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from expressway.aws.ledger import Ledger
from expressway.cli import main
from expressway.cli.wiring import make_deployer
from expressway.console import Console
from expressway.deploy.changed import ChangeDetector, decide_all
from expressway.deploy.deployer import Deployer, Options
from expressway.deploy.fleet import Operator
from expressway.deploy.history import History
from expressway.deploy.target import Target
from expressway.deploy.version import git_version
from expressway.deploy.waiting import HttpProber
from expressway.images.source import GivenImages
from expressway.ops.destroy import destroy
from expressway.registry import Registry, load
from expressway.testing import IMAGE, FakeService, copy_checkout
from reliability.deploying import INSTANT, deployer
from reliability.figures import Figures

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("sensors", "ingest", "dashboard")
EXPRESSWAY = "tooling/expressway/src/expressway"


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _commit(root: Path, message: str) -> str:
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=r", "-c", "user.email=r@example.com", "commit", "-qm", message)
    return _git(root, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's files, once per module (copied again per test from here)."""
    return copy_checkout(ROOT, tmp_path_factory.mktemp("pristine") / "repo")


@pytest.fixture
def repo(pristine: Path, tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    subprocess.run(["cp", "-a", str(pristine), str(root)], check=True)
    _git(root, "init", "-q")
    _commit(root, "deployed")
    return root


def _edit(root: Path, path: str, old: str, new: str) -> None:
    target = root / path
    text = target.read_text()
    assert old in text, f"{path} no longer holds {old!r}: update this test"
    target.write_text(text.replace(old, new, 1))


# (what changes, the file, the text replaced, its replacement, the services it must redeploy)
SHARED: list[Any] = [
    pytest.param(
        f"{EXPRESSWAY}/images/dockerfile.py",
        "ENV PYTHONPATH=/opt/app:/opt/deps",
        "ENV MALLOC_ARENA_MAX=2\nENV PYTHONPATH=/opt/app:/opt/deps",
        SERVICES,
        id="the-dockerfile-template",
    ),
    pytest.param(
        f"{EXPRESSWAY}/registry/models.py",
        'DEFAULT_BASE_IMAGE = "python:3.11-slim"',
        'DEFAULT_BASE_IMAGE = "python:3.13-slim"',
        SERVICES,
        id="the-default-base-image",
    ),
    pytest.param(
        "services.toml",
        'name = "homestack"',
        'name = "homestack"\nbase_image = "python:3.12-slim-bookworm"',
        SERVICES,
        id="the-project-base-image",
    ),
    pytest.param(
        f"{EXPRESSWAY}/images/context.py",
        '_DROPPED_DIRS = frozenset({"bin", "__pycache__"})',
        '_DROPPED_DIRS = frozenset({"bin", "__pycache__", "tests"})',
        SERVICES,
        id="what-goes-into-every-build-context",
    ),
    pytest.param(
        f"{EXPRESSWAY}/plan/desired.py",
        'LOG_STREAM_PREFIX = "ecs"',
        'LOG_STREAM_PREFIX = "task"',
        SERVICES,
        id="the-express-request-every-service-gets",
    ),
    pytest.param(
        "services.toml",
        'cluster = "homestack-prod"               # created if missing',
        'cluster = "homestack-prod"\nlog_retention_days = 90',
        SERVICES,
        id="the-environment-log-retention",
    ),
    pytest.param(
        "services.toml",
        'ttl_attribute = "expires_at"',
        'ttl_attribute = "expiry"',
        ("sensors", "ingest"),
        id="a-table-two-services-use",
    ),
]


@pytest.mark.parametrize(("path", "old", "new", "reaches"), SHARED)
def test_a_change_to_a_shared_input_redeploys_every_service_it_reaches(
    repo: Path, path: str, old: str, new: str, reaches: tuple[str, ...], figures: Figures
) -> None:
    deployed = _git(repo, "rev-parse", "HEAD")
    _edit(repo, path, old, new)
    _commit(repo, f"change {path}")
    detector = ChangeDetector(repo, load(repo / "services.toml"), "prod")
    decisions = {d.service: d for d in decide_all(detector, dict.fromkeys(SERVICES, deployed), {})}
    figures.count("cases tried")
    assert {k for k, d in decisions.items() if d.changed} == set(reaches), {
        k: d.reason for k, d in decisions.items()
    }
    for key in reaches:
        assert f"since {deployed[:12]}" in decisions[key].reason, decisions[key].reason


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        pytest.param(
            f"{EXPRESSWAY}/plan/render.py", '"dim": "2"', '"dim": "2;3"', id="how-plans-are-printed"
        ),
        pytest.param(f"{EXPRESSWAY}/cli/parser.py", "help=", "help=  ", id="the-command-line"),
        pytest.param("README.md", "# homestack", "# homestack!", id="the-readme"),
    ],
)
def test_a_change_that_reaches_no_image_or_request_redeploys_nothing(
    repo: Path, path: str, old: str, new: str
) -> None:
    deployed = _git(repo, "rev-parse", "HEAD")
    _edit(repo, path, old, new)
    _commit(repo, f"change {path}")
    detector = ChangeDetector(repo, load(repo / "services.toml"), "prod")
    decisions = decide_all(detector, dict.fromkeys(SERVICES, deployed), {})
    assert [d.reason for d in decisions if d.changed] == []


@pytest.mark.usefixtures("aws")
def test_destroy_leaves_a_record_in_the_history(figures: Figures) -> None:
    registry = load(ROOT / "services.toml")
    said: list[str] = []
    assert Operator(deployer(registry)).deploy("sensors").status == "deployed"
    target = Target(registry, "prod")
    destroy(target, "sensors", 60.0, said.append, poll=0.0, clock=INSTANT)
    records = History(Ledger(target.environment, target.names), "prod").records("sensors")
    figures.count("cases tried")
    assert [(r.kind, r.outcome) for r in records] == [("destroy", "succeeded"), ("deploy", "succeeded")]
    assert records[0].who.startswith("arn:aws:sts::")
    assert records[0].version == records[1].version  # what was running when it was deleted


@pytest.mark.usefixtures("aws")
def test_plan_changed_counts_the_services_it_lists_as_unchanged(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def factory(verb: Any, reg: Registry, env: str, console: Console, *, root: Path) -> Deployer:
        prober = HttpProber(httpx.MockTransport(FakeService(git_version(root))), poll=0.0, clock=INSTANT)
        options = Options(poll=0.0, clock=INSTANT, verify_timeout=0.0, propagation_timeout=30.0)
        images = GivenImages(IMAGE)
        return make_deployer(
            verb, reg, env, console, images=images, prober=prober, options=options, root=root
        )

    def cli(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--registry", str(repo / "services.toml"), *argv, "--env", "prod"], factory=factory)
        found = capsys.readouterr()
        return code, found.out, found.err

    assert cli("deploy", "--all")[0] == 0
    _edit(repo, "libs/sensordata/src/homestack_sensordata/__init__.py", '"""', '"""Changed. ')
    _commit(repo, "sensordata change")
    code, out, err = cli("plan", "--changed")
    assert code == 2, out + err
    assert "dashboard  same" in err
    assert out.splitlines()[-1] == "0 to create, 2 to update, 1 unchanged, 0 blocked"
