"""Deploying several services: reference order, bounded parallelism, locks, records, one summary table."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from expressway.aws.imagepins import ImagePins, protect_tag
from expressway.aws.ledger import Ledger
from expressway.aws.sts import identity
from expressway.deploy.deployer import Deployer, Outcome
from expressway.deploy.history import (
    FAILED,
    SUCCEEDED,
    DeployRecord,
    History,
    image_of,
    now_iso,
    spec_to_json,
)
from expressway.deploy.lock import LEASE_SECONDS, DeployLock, holder_name
from expressway.errors import ExpresswayError
from expressway.plan.desired import Spec
from expressway.registry.refs import dependencies, deploy_order


class RecordingDeployer(Deployer):
    """A Deployer that keeps the exact Spec each deploy applied, for the deploy record."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.applied: dict[str, Spec] = {}
        self._applied_lock = threading.Lock()

    @classmethod
    def like(cls, other: Deployer) -> RecordingDeployer:
        return cls(
            other.registry, other.env, other.images, other.prober, other.version, other.say, other.options
        )

    def spec_for(self, key: str, observed: dict[str, Any] | None, *, planning: bool) -> Spec:
        found = super().spec_for(key, observed, planning=planning)
        if not planning:
            with self._applied_lock:
                self.applied[key] = found
        return found


@dataclass(frozen=True)
class Result:
    """How one service's deploy ended: deployed, up to date, failed or skipped (with why)."""

    service: str
    status: str  # deployed | no-change | failed | skipped
    version: str | None = None
    url: str | None = None
    seconds: float = 0.0
    detail: str = ""
    error: ExpresswayError | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status in ("deployed", "no-change")


class Operator:
    """Deploys services of one environment with a lock each and a record of every attempt."""

    def __init__(
        self, deployer: RecordingDeployer, *, lock_wait: float = 0.0, lease: float = LEASE_SECONDS
    ) -> None:
        self.deployer = deployer
        self.environment = deployer.environment
        self.ledger = Ledger(self.environment, deployer.names)
        self.history = History(self.ledger, deployer.env)
        self.pins = ImagePins(self.environment)
        self.lock_wait = lock_wait
        self.lease = lease
        self._who: str | None = None

    @property
    def who(self) -> str:
        if self._who is None:
            self._who = identity(self.environment).arn
        return self._who

    def lock(self, key: str) -> DeployLock:
        who = holder_name(self.who)
        return DeployLock(self.ledger, key, who, lease=self.lease, clock=self.deployer.options.clock)

    def deploy(self, key: str, run: Callable[[str], Outcome] | None = None, kind: str = "deploy") -> Result:
        """Lock, deploy (or `run`), then record the attempt; never raises for a failed deploy."""
        started, at = time.monotonic(), now_iso()
        try:
            with self.lock(key).held(self.lock_wait, say=self.deployer.say):
                try:
                    outcome = (run or self.deployer.deploy)(key)
                except ExpresswayError as exc:
                    self._record(key, at, FAILED, exc.message.splitlines()[0], kind)
                    raise
                self._record(key, at, SUCCEEDED, outcome.action, kind, outcome.url)
        except ExpresswayError as exc:
            detail = exc.message + (f" (hint: {exc.hint})" if exc.hint else "")
            spent = time.monotonic() - started
            return Result(key, "failed", self.deployer.version, None, spent, detail, exc)
        status = "no-change" if outcome.action == "no-change" else "deployed"
        return Result(key, status, self.deployer.version, outcome.url, time.monotonic() - started)

    def _record(
        self, key: str, at: str, outcome: str, reason: str, kind: str, url: str | None = None
    ) -> None:
        spec = self.deployer.applied.get(key)
        if spec is None:
            return  # failed before a desired state existed (e.g. a missing dependency URL): nothing ran
        image = image_of(spec)
        if outcome == SUCCEEDED:
            self._protect(key, image)
        self.history.add(
            DeployRecord(
                service=key,
                environment=self.deployer.env,
                version=self.deployer.version,
                image=image,
                at=at,
                who=self.who,
                outcome=outcome,
                reason=reason,
                kind=kind,
                spec=spec_to_json(spec),
                url=url,
            )
        )

    def _protect(self, key: str, image: str) -> None:
        """Tag the deployed image so ECR lifecycle rules keep it; a failure here fails no deploy."""
        keep = protect_tag(self.deployer.env, self.deployer.version)
        try:
            if self.pins.protect(image, keep):
                self.deployer.say(f"{key}: image kept from ECR lifecycle cleanup as {keep}")
        except ExpresswayError as exc:
            self.deployer.say(f"{key}: warning: image not protected from ECR cleanup: {exc.message}")

    def deploy_many(self, keys: list[str], parallel: int = 4) -> list[Result]:
        """Waves in reference order, each wave in parallel; a service whose dependency failed is skipped."""
        registry = self.deployer.registry
        self.deployer.facts()
        self.ledger.ensure()
        results: dict[str, Result] = {}
        waves: list[list[str]] = []
        level: dict[str, int] = {}
        for key in deploy_order(registry, keys):
            level[key] = 1 + max((level[d] for d in dependencies(registry, key) if d in level), default=-1)
            waves += [[] for _ in range(level[key] + 1 - len(waves))]
            waves[level[key]].append(key)
        for wave in waves:
            ready = []
            for key in wave:
                broken = sorted(d for d in dependencies(registry, key) if d in results and not results[d].ok)
                if broken:
                    results[key] = Result(key, "skipped", detail=f"needs {', '.join(broken)}, which failed")
                else:
                    ready.append(key)
            if ready:
                with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(ready)))) as pool:
                    for result in pool.map(self.deploy, ready):
                        results[result.service] = result
        return [results[key] for key in deploy_order(registry, keys)]


def summary_text(results: list[Result]) -> str:
    """One table for the whole run, then a line per failure saying why."""
    head = ("SERVICE", "RESULT", "VERSION", "TIME", "URL")
    rows = [head] + [
        (r.service, r.status, (r.version or "-")[:12], f"{r.seconds:.0f}s", r.url or "-") for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    bad = [r for r in results if not r.ok]
    if bad:
        lines.append("")
        lines += [f"{r.service}: {r.status}: {r.detail}" for r in bad]
    return "\n".join(lines) + "\n"


def summary_json(environment: str, results: list[Result]) -> dict[str, Any]:
    return {
        "environment": environment,
        "ok": all(r.ok for r in results),
        "services": [{k: v for k, v in r.__dict__.items() if k != "error"} for r in results],
    }
