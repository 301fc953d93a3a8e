"""Deploy records: who deployed which version, image digest and full configuration of a service, when."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from expressway.aws.ledger import Ledger
from expressway.plan.desired import Spec
from expressway.registry import Table

SUCCEEDED, FAILED = "succeeded", "failed"
DESTROY = "destroy"  # a record's kind: deploy | rollback | destroy


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
            "secrets_policy": spec.secrets_policy,
            "tables": {name: table.model_dump() for name, table in spec.tables.items()},
            "log_group": spec.log_group,
            "log_retention_days": spec.log_retention_days,
        },
        sort_keys=True,
    )


def spec_from_json(text: str) -> Spec:
    data = json.loads(text)
    data["tables"] = {name: Table(**table) for name, table in data["tables"].items()}
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
    outcome: str  # succeeded | failed
    reason: str
    kind: str  # deploy | rollback | destroy
    spec: str  # spec_to_json(...)
    url: str | None = None
    sort_key: str = ""

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
        }


class History:
    """Deploy records of one environment, in the operations table."""

    def __init__(self, ledger: Ledger, environment: str) -> None:
        self.ledger = ledger
        self.environment = environment

    def add(self, record: DeployRecord) -> DeployRecord:
        key = f"{record.at}#{uuid.uuid4().hex[:8]}"
        item = {
            "pk": {"S": f"deploy#{record.service}"},
            "sk": {"S": key},
            "version": {"S": record.version},
            "image": {"S": record.image},
            "at": {"S": record.at},
            "who": {"S": record.who},
            "outcome": {"S": record.outcome},
            "reason": {"S": record.reason},
            "kind": {"S": record.kind},
            "spec": {"S": record.spec},
            **({"url": {"S": record.url}} if record.url else {}),
        }
        self.ledger.put(item)
        return DeployRecord(**{**record.__dict__, "sort_key": key})

    def records(self, service: str, limit: int = 50) -> list[DeployRecord]:
        """The service's records, newest first."""
        found = []
        for item in self.ledger.query(f"deploy#{service}", limit):
            found.append(
                DeployRecord(
                    service=service,
                    environment=self.environment,
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
                )
            )
        return found

    def last_failure(self, service: str) -> str | None:
        """Why the newest deploy of `service` failed, or None when it succeeded (or there is none)."""
        deploys = [r for r in self.records(service, limit=5) if r.kind != DESTROY]
        return deploys[0].reason if deploys and deploys[0].outcome == FAILED else None


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def history_text(records: list[DeployRecord]) -> str:
    """A table, newest first: when, outcome, kind, version, digest, who."""
    if not records:
        return "no deploys recorded\n"
    head = ("WHEN", "OUTCOME", "KIND", "VERSION", "DIGEST", "WHO")
    rows = [head] + [
        (
            r.at[:19].replace("T", " "),
            r.outcome,
            r.kind,
            r.version[:12],
            (r.digest or r.image)[:19],
            r.who.rsplit(":", 1)[-1],
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    failed = [r for r in records if r.outcome == FAILED]
    lines += [f"  {r.at[:19].replace('T', ' ')} failed: {r.reason}" for r in failed[:3]]
    return "\n".join(lines) + "\n"


def history_json(service: str, environment: str, records: list[DeployRecord]) -> str:
    document = {"service": service, "environment": environment, "deploys": [r.as_dict() for r in records]}
    return json.dumps(document, indent=2) + "\n"
