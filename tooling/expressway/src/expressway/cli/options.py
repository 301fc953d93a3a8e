"""What each verb was asked for: one frozen options type per verb (built by cli/parser.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Common:
    """What every verb shares: where services.toml is, and which environment."""

    registry: str | None = None
    env: str | None = None


@dataclass(frozen=True)
class Targets:
    """Which services a verb acts on: one by name, `--all`, or `--changed` (plan and deploy only)."""

    service: str | None = None
    all: bool = False
    changed: bool = False


@dataclass(frozen=True)
class Schema(Common):
    pass


@dataclass(frozen=True)
class New(Common):
    name: str = ""


@dataclass(frozen=True)
class Validate(Common):
    json: bool = False


@dataclass(frozen=True)
class Plan(Common):
    targets: Targets = Targets()
    images: tuple[str, ...] = ()
    json: bool = False


@dataclass(frozen=True)
class Deploy(Common):
    targets: Targets = Targets()
    images: tuple[str, ...] = ()
    json: bool = False  # progress as JSON events on stderr, the summary as JSON on stdout
    verify: bool = True
    allow_new_alb: bool = False
    timeout: float = 1800.0
    lock_wait: float = 0.0
    parallel: int = 4


@dataclass(frozen=True)
class Rollback(Common):
    service: str = ""
    to: str | None = None
    verify: bool = True
    timeout: float = 1800.0
    lock_wait: float = 0.0


@dataclass(frozen=True)
class Status(Common):
    json: bool = False


@dataclass(frozen=True)
class Destroy(Common):
    service: str = ""
    yes: bool = False
    timeout: float = 1200.0


@dataclass(frozen=True)
class History(Common):
    service: str = ""
    limit: int = 20
    json: bool = False


@dataclass(frozen=True)
class Logs(Common):
    service: str = ""
    since: str = "10m"
    follow: bool = False
    json: bool = False


@dataclass(frozen=True)
class Cost(Common):
    json: bool = False
    prices: Path | None = None
    zones: int | None = None


@dataclass(frozen=True)
class Doctor(Common):
    json: bool = False


@dataclass(frozen=True)
class Policy(Common):
    account: str | None = None  # with partition: print offline, without asking STS
    partition: str | None = None


@dataclass(frozen=True)
class LocalEnv(Common):
    identity: str = "developer"


@dataclass(frozen=True)
class Dev(Common):
    port: int = 8080
    simulate: bool = True
    sensors: int = 3
    interval: float = 2.0


Verb = (
    Schema
    | New
    | Validate
    | Plan
    | Deploy
    | Rollback
    | Status
    | Destroy
    | History
    | Logs
    | Cost
    | Policy
    | Doctor
    | LocalEnv
    | Dev
)
