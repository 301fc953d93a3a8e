"""The suite's shared pieces: its options, the figures it prints, and a live fleet on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from expressway.registry import Registry, load
from reliability.deploying import emulated_aws
from reliability.figures import Figures
from reliability.fleet import AWS_ENV, Fleet, running_fleet

_FIGURES = pytest.StashKey[Figures]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("reliability")
    group.addoption(
        "--duration",
        type=float,
        default=60.0,
        help="seconds of sustained load per service in the load checks (default 60; CI may use less)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_FIGURES] = Figures()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Print the figures after the run, whatever the outcome, so a red run still shows what it saw."""
    terminalreporter.section("reliability")
    for line in config.stash[_FIGURES].report():
        terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _same_credentials_as_the_services(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fleet's fake keys here too: DynamoDB Local keeps one database per access key and region."""
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def figures(pytestconfig: pytest.Config) -> Figures:
    return pytestconfig.stash[_FIGURES]


@pytest.fixture(scope="session")
def duration(pytestconfig: pytest.Config) -> float:
    seconds: float = pytestconfig.getoption("duration")
    return seconds


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory, figures: Figures) -> Iterator[Fleet]:
    """sensors, ingest and dashboard as uvicorn processes on loopback, over one seeded local DynamoDB."""
    logs: Path = tmp_path_factory.mktemp("logs")
    with running_fleet(logs) as running:
        figures.note(f"DynamoDB: {running.engine} on loopback")
        yield running


@pytest.fixture
def registry() -> Registry:
    """The repository's own services.toml."""
    return load(Path(__file__).resolve().parents[1] / "services.toml")


@pytest.fixture
def aws() -> Iterator[None]:
    """A fresh emulated account (Express Mode on moto, in process) for deploys under test."""
    with emulated_aws():
        yield
