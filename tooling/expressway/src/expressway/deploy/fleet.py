"""Deploying services, one or many: a lock per service, a record of every attempt, waves in reference
order with bounded parallelism, and one summary table. The one path every deploy takes (`deploy`,
`deploy --all`, `--changed`, `rollback`, the local cloud's first deploy)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from expressway.aws.ecr import Ecr, protect_tag
from expressway.aws.ledger import Ledger
from expressway.deploy.deployer import Deployer, Outcome, Prepared
from expressway.deploy.history import (
    FAILED,
    STARTED,
    SUCCEEDED,
    DeployRecord,
    History,
    now_iso,
    spec_to_json,
)
from expressway.deploy.lock import LEASE_SECONDS, DeployLock, holder_name
from expressway.errors import ExpresswayError
from expressway.plan.desired import Spec
from expressway.registry.refs import dependencies, deploy_order, waves


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

    def __init__(self, deployer: Deployer, *, lock_wait: float = 0.0, lease: float = LEASE_SECONDS) -> None:
        self.deployer = deployer
        self.environment = deployer.environment
        self.ledger = Ledger(self.environment, deployer.names)
        self.history = History(self.ledger, deployer.env)
        self.ecr = Ecr(self.environment)
        self.lock_wait = lock_wait
        self.lease = lease

    @property
    def who(self) -> str:
        return self.deployer.target.identity().arn

    def lock(self, key: str) -> DeployLock:
        who = holder_name(self.who)
        return DeployLock(self.ledger, key, who, lease=self.lease, clock=self.deployer.options.clock)

    def deploy(self, key: str, kind: str = "deploy", pinned: Spec | None = None) -> Result:
        """Lock, deploy (`pinned`: that recorded spec as it was), record; never raises for a failure.

        The record is written before the first AWS change (`started`) and settled after; earlier
        deploys that never settled theirs are settled first, from what runs (deploy/history.py). Each
        AWS change of the deploy is made only while the lock's lease is confirmed (`lock.confirm`).
        """
        started, at = time.monotonic(), now_iso()
        version = pinned.version if pinned else self.deployer.version
        lock = self.lock(key)
        try:
            with lock.held(self.lock_wait, say=self.deployer.say):
                # A spec that cannot be worked out (a dependency not deployed yet) changed nothing:
                # it fails the deploy without a record.
                prepared = self.deployer.prepare(key, pinned)
                for gone in self.history.settle_unfinished(key, prepared.observed, lock.token):
                    self.deployer.say(
                        f"{key}: the deploy of {gone.version[:12]} started {gone.at}: {gone.reason}"
                    )
                record = self._record(prepared, at, STARTED, "in progress", kind, token=lock.token)
                try:
                    outcome = self.deployer.apply(prepared, guard=lock.confirm)
                except ExpresswayError as exc:
                    self._record(prepared, at, FAILED, exc.message.splitlines()[0], kind, started=record)
                    raise
                self._record(prepared, at, SUCCEEDED, outcome.action, kind, outcome, started=record)
        except ExpresswayError as exc:
            detail = exc.message + (f" (hint: {exc.hint})" if exc.hint else "")
            return Result(key, "failed", version, None, time.monotonic() - started, detail, exc)
        status = "no-change" if outcome.action == "no-change" else "deployed"
        return Result(key, status, version, outcome.url, time.monotonic() - started)

    def _record(
        self,
        prepared: Prepared,
        at: str,
        outcome: str,
        reason: str,
        kind: str,
        done: Outcome | None = None,
        *,
        token: str = "",
        started: DeployRecord | None = None,
    ) -> DeployRecord:
        """Write the record of a deploy that starts, or settle `started` with how it ended."""
        spec = prepared.spec
        if outcome == SUCCEEDED:
            self._protect(prepared)
        if started is not None:
            self.history.settle(started, outcome, reason, done.url if done else None)
            return started
        return self.history.add(
            DeployRecord(
                service=prepared.key,
                environment=self.deployer.env,
                version=prepared.version,
                image=spec.image,
                at=at,
                who=self.who,
                outcome=outcome,
                reason=reason,
                kind=kind,
                spec=spec_to_json(spec),
                url=done.url if done else None,
                token=token,
            )
        )

    def _protect(self, prepared: Prepared) -> None:
        """Tag the deployed image so ECR lifecycle rules keep it; a failure here fails no deploy."""
        keep = protect_tag(self.deployer.env, prepared.version)
        try:
            if self.ecr.protect(prepared.spec.image, keep):
                self.deployer.say(f"{prepared.key}: image kept from ECR lifecycle cleanup as {keep}")
        except ExpresswayError as exc:
            self.deployer.say(f"{prepared.key}: warning: image not protected from ECR cleanup: {exc.message}")

    def deploy_many(
        self, keys: list[str], parallel: int = 4, pinned: Mapping[str, Spec] | None = None
    ) -> list[Result]:
        """Waves in reference order, each wave in parallel; a service whose dependency failed is skipped."""
        registry = self.deployer.registry
        self.deployer.facts()
        self.ledger.ensure()
        results: dict[str, Result] = {}

        def deploy(key: str) -> Result:
            return self.deploy(key, pinned=(pinned or {}).get(key))

        for wave in waves(registry, keys):
            ready = []
            for key in wave:
                broken = sorted(d for d in dependencies(registry, key) if d in results and not results[d].ok)
                if broken:
                    results[key] = Result(key, "skipped", detail=f"needs {', '.join(broken)}, which failed")
                else:
                    ready.append(key)
            # The first Express service of a VPC defines its shared ALB's subnets, and parallel first
            # creates could each open an ALB (docs/aws-facts.md, section 3): the first goes alone, and
            # when it leaves no service behind the rest of the wave is not attempted (fails closed).
            if len(ready) > 1 and self.deployer.empty_vpc():
                first = deploy(ready.pop(0))
                results[first.service] = first
                if self.deployer.empty_vpc():
                    why = (
                        f"not attempted: the first create into an empty VPC ({first.service}) left no "
                        "service behind, and creating the others in parallel could open a second ALB"
                    )
                    results.update((key, Result(key, "skipped", detail=why)) for key in ready)
                    ready = []
            if ready:
                with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(ready)))) as pool:
                    for result in pool.map(deploy, ready):
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


def summary_json(
    environment: str, results: list[Result], error: ExpresswayError | None = None
) -> dict[str, Any]:
    """The run as one JSON document; `error` (the run's own, or a single service's) when it failed."""
    document: dict[str, Any] = {
        "environment": environment,
        "ok": error is None and all(r.ok for r in results),
        "services": [{k: v for k, v in r.__dict__.items() if k != "error"} for r in results],
    }
    failed = [r for r in results if not r.ok]
    if error is not None:
        document["error"] = {"message": error.message, "hint": error.hint}
    elif failed:
        document["error"] = {
            "message": f"deploy: {len(failed)} of {len(results)} services did not deploy: "
            + ", ".join(f"{r.service} ({r.status})" for r in failed),
            "hint": None,
        }
    return document
