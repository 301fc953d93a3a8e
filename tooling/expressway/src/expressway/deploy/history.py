"""Deploy records: who deployed which version, image digest and full configuration of a service, when.

A deploy writes its record when it starts (outcome `started`) and settles it when it ends (`succeeded`
or `failed`). A deploy that never settles its record (killed, or stopped after losing its lock) is
settled by the next deploy of the service, holding the lock, from what runs then (`interrupted`, with
whether its change went out); until then `history` shows whether it still runs.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from expressway.aws.ledger import Ledger
from expressway.deploy.lock import lock_key
from expressway.plan.arns import Arns, parse_arn
from expressway.plan.desired import Spec
from expressway.plan.live import LiveService
from expressway.plan.policies import execution_policy
from expressway.plan.render import short_version
from expressway.plan.steps import plan_service
from expressway.registry import Table

SUCCEEDED, FAILED = "succeeded", "failed"
STARTED, INTERRUPTED = "started", "interrupted"
DESTROY = "destroy"  # a record's kind: deploy | rollback | destroy
UNSETTLED_LOOKBACK = 20  # newest records searched for deploys that never settled theirs


def spec_to_json(spec: Spec) -> str:
    """Everything needed to deploy `spec` again exactly: the request, roles, policies, tables, logs."""
    return json.dumps(
        {
            "key": spec.key,
            "name": spec.name,
            "request": spec.request,
            "execution_role": spec.execution_role,
            "task_role": spec.task_role,
            "task_policy": spec.task_policy,
            "execution_policy": spec.execution_policy,
            "tables": {name: table.model_dump() for name, table in spec.tables.items()},
            "log_group": spec.log_group,
            "log_retention_days": spec.log_retention_days,
        },
        sort_keys=True,
    )


def spec_from_json(text: str, region: str = "") -> Spec:
    """The Spec a record holds. A record from before execution roles had their own inline policy
    (`secrets_policy`, next to the managed AmazonECSTaskExecutionRolePolicy) gets the policy that
    replaced the pair, so rolling back to it cannot leave the role unable to pull or log (`region`
    names that policy's resources; only a rollback needs it)."""
    data = json.loads(text)
    data["tables"] = {name: Table(**table) for name, table in data["tables"].items()}
    if "secrets_policy" in data:
        del data["secrets_policy"]
        request = data["request"]
        role = parse_arn(request["executionRoleArn"])
        arns = Arns(role[0] if role else "aws", region, role[3] if role else "")
        container = request["primaryContainer"]
        secrets = [item["valueFrom"] for item in container.get("secrets") or ()]
        data["execution_policy"] = execution_policy(arns, container["image"], data["log_group"], secrets)
    return Spec(**data)


def digest_of(image: str) -> str | None:
    """`repo@sha256:...` -> `sha256:...`; None for an image named only by tag."""
    return image.rsplit("@", 1)[1] if "@" in image else None


@dataclass(frozen=True)
class DeployRecord:
    """One deploy of one service: its outcome and exactly what it deployed."""

    service: str
    environment: str
    version: str
    image: str
    at: str  # ISO time the deploy started, UTC
    who: str  # the STS caller identity ARN
    outcome: str  # started | succeeded | failed | interrupted
    reason: str
    kind: str  # deploy | rollback | destroy
    spec: str  # spec_to_json(...)
    url: str | None = None
    sort_key: str = ""
    token: str = ""  # the deploy lock token of the run that wrote it: tells whether it still runs
    ended: str | None = None  # ISO time it was settled, UTC

    @property
    def digest(self) -> str | None:
        return digest_of(self.image)

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "environment": self.environment,
            "version": self.version,
            "image": self.image,
            "digest": self.digest,
            "at": self.at,
            "who": self.who,
            "outcome": self.outcome,
            "reason": self.reason,
            "kind": self.kind,
            "url": self.url,
            "ended": self.ended,
        }


class History:
    """Deploy records of one environment, in the operations table."""

    def __init__(self, ledger: Ledger, environment: str) -> None:
        self.ledger = ledger
        self.environment = environment

    def add(self, record: DeployRecord) -> DeployRecord:
        key = f"{record.at}#{uuid.uuid4().hex[:8]}"
        stored = dataclasses.replace(record, sort_key=key)
        self.ledger.put(_item(stored))
        return stored

    def settle(
        self,
        record: DeployRecord,
        outcome: str,
        reason: str,
        url: str | None = None,
        *,
        if_started: bool = False,
    ) -> bool:
        """Write how the deploy of `record` ended; with `if_started`, only if nobody settled it yet."""
        ended = dataclasses.replace(
            record, outcome=outcome, reason=reason, url=url or record.url, ended=now_iso()
        )
        if not if_started:
            return self.ledger.put(_item(ended))
        started = {":started": {"S": STARTED}}
        return self.ledger.put(_item(ended), "#outcome = :started", started, names={"#outcome": "outcome"})

    def settle_unfinished(self, service: str, running: LiveService | None, token: str) -> list[DeployRecord]:
        """Settle the records of earlier deploys that never settled theirs (the caller holds the lock,
        so they no longer run) by what runs now; returns the records as settled."""
        settled = []
        for record in self.records(service, UNSETTLED_LOOKBACK, judge=False):
            if record.outcome != STARTED or record.token == token or not record.spec:
                continue
            why = "the deploy stopped before it finished (its process ended or it lost its lock)"
            if running is None or running.gone:
                what = f"{why}; the service is not deployed now"
            elif _runs(service, record, running):
                what = f"{why}; its change went out: the service runs exactly this configuration"
            else:
                what = f"{why}; its change is not what runs now"
            if self.settle(record, INTERRUPTED, what, if_started=True):
                settled.append(dataclasses.replace(record, outcome=INTERRUPTED, reason=what))
        return settled

    def records(self, service: str, limit: int = 50, *, judge: bool = True) -> list[DeployRecord]:
        """The service's records, newest first; with `judge`, a record still `started` says whether
        its deploy runs (holds the service's lock) or is gone and waits to be settled."""
        found = [
            _record(service, self.environment, item) for item in self.ledger.query(f"deploy#{service}", limit)
        ]
        if judge and any(r.outcome == STARTED for r in found):
            lock = self.ledger.get(*lock_key(service)) or {}
            holder = lock.get("token", {}).get("S")
            live = float(lock.get("expires", {}).get("N", "0")) > datetime.now(UTC).timestamp()
            for index, record in enumerate(found):
                if record.outcome == STARTED:
                    reason = (
                        "in progress: it holds the deploy lock"
                        if live and holder == record.token
                        else f"did not finish (killed, or it lost its lock); the next deploy of {service} "
                        "settles it from what runs"
                    )
                    found[index] = dataclasses.replace(record, reason=reason)
        return found

    def last_failure(self, service: str) -> str | None:
        """Why the newest deploy of `service` did not succeed, or None when it did (or there is none)."""
        deploys = [r for r in self.records(service, limit=5) if r.kind != DESTROY]
        if not deploys or deploys[0].outcome == SUCCEEDED:
            return None
        newest = deploys[0]
        return newest.reason if newest.outcome == FAILED else f"last deploy did not finish: {newest.reason}"


def _runs(service: str, record: DeployRecord, running: LiveService) -> bool:
    """Whether what runs is exactly what `record` deployed (the plan would change nothing)."""
    try:
        request = spec_from_json(record.spec).request
    except (ValueError, KeyError, TypeError):  # a record this version cannot read: not provably out
        return False
    return plan_service(service, request, running).action == "no-change"


def _item(record: DeployRecord) -> dict[str, Any]:
    return {
        "pk": {"S": f"deploy#{record.service}"},
        "sk": {"S": record.sort_key},
        "version": {"S": record.version},
        "image": {"S": record.image},
        "at": {"S": record.at},
        "who": {"S": record.who},
        "outcome": {"S": record.outcome},
        "reason": {"S": record.reason},
        "kind": {"S": record.kind},
        "spec": {"S": record.spec},
        **({"url": {"S": record.url}} if record.url else {}),
        **({"token": {"S": record.token}} if record.token else {}),
        **({"ended": {"S": record.ended}} if record.ended else {}),
    }


def _record(service: str, environment: str, item: dict[str, Any]) -> DeployRecord:
    return DeployRecord(
        service=service,
        environment=environment,
        version=item["version"]["S"],
        image=item["image"]["S"],
        at=item["at"]["S"],
        who=item["who"]["S"],
        outcome=item["outcome"]["S"],
        reason=item["reason"]["S"],
        kind=item["kind"]["S"],
        spec=item["spec"]["S"],
        url=item.get("url", {}).get("S"),
        sort_key=item["sk"]["S"],
        token=item.get("token", {}).get("S", ""),
        ended=item.get("ended", {}).get("S"),
    )


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def history_text(records: list[DeployRecord]) -> str:
    """A table, newest first: when, outcome, kind, version, digest, who."""
    if not records:
        return "no deploys recorded\n"
    head = ("WHEN", "OUTCOME", "KIND", "VERSION", "DIGEST", "WHO")
    width = _digest_width(records)
    rows = [head] + [
        (
            r.at[:19].replace("T", " "),
            r.outcome,
            f"{r.kind}, no change" if r.outcome == SUCCEEDED and r.reason == "no-change" else r.kind,
            short_version(r.version),
            f"sha256:{r.digest.removeprefix('sha256:')[:width]}" if r.digest else r.image.rsplit("/", 1)[-1],
            r.who.rsplit(":", 1)[-1],
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    unsuccessful = [r for r in records if r.outcome != SUCCEEDED]
    lines += [f"  {r.at[:19].replace('T', ' ')} {r.outcome}: {r.reason}" for r in unsuccessful[:3]]
    return "\n".join(lines) + "\n"


def _digest_width(records: list[DeployRecord]) -> int:
    """How many hex digits of a digest tell the records' images apart (12 at least)."""
    digests = {r.digest.removeprefix("sha256:") for r in records if r.digest}
    width = 12
    while width < 64 and len({d[:width] for d in digests}) < len(digests):
        width += 4
    return width


def history_json(service: str, environment: str, records: list[DeployRecord]) -> str:
    document = {"service": service, "environment": environment, "deploys": [r.as_dict() for r in records]}
    return json.dumps(document, indent=2) + "\n"
