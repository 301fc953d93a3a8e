"""`expressway rollback SERVICE [--to VERSION]`: an earlier deploy's exact digest and config, no rebuild."""

from __future__ import annotations

from expressway.aws.ecr import Ecr
from expressway.deploy.deployer import Deployer
from expressway.deploy.fleet import Operator, Result
from expressway.deploy.history import DESTROY, SUCCEEDED, DeployRecord, History, spec_from_json
from expressway.errors import DeployError, UsageError


def choose(service: str, records: list[DeployRecord], live: str | None, to: str | None) -> DeployRecord:
    """The record to roll back to: `to` (a version prefix or digest), else the newest not running now."""
    good = [r for r in records if r.outcome == SUCCEEDED and r.kind != DESTROY]
    recent = ", ".join(dict.fromkeys(r.version[:12] for r in good[:5])) or "none"
    if to:
        for record in good:
            if record.version.startswith(to) or record.digest == to:
                return record
        raise UsageError(
            f"rollback {service}: no successful deploy of {to} recorded",
            hint=f"recent versions: {recent}; see `expressway history {service}`",
        )
    for record in good:
        if record.image != live:
            return record
    raise UsageError(
        f"rollback {service}: no earlier version to roll back to",
        hint=f"recorded versions: {recent}; a rollback needs a successful deploy of another image",
    )


def rollback(base: Deployer, service: str, to: str | None, lock_wait: float = 0.0) -> Result:
    """Redeploy the chosen record's exact Spec under the deploy lock, wait like a deploy, record it."""
    base.registry.service(service)
    operator = Operator(base, lock_wait=lock_wait)
    live = base.observe(service)
    target = choose(
        service, History(operator.ledger, base.env).records(service), live.image if live else None, to
    )
    if not Ecr(base.environment).exists(target.image):
        raise DeployError(
            f"rollback {service}: the image of {target.version[:12]} is gone: {target.image}",
            hint="it was deleted from ECR; deploy that commit again to rebuild it",
        )
    what = target.digest or target.image
    base.say(f"{service}: rolling back to {target.version[:12]} ({what}), deployed {target.at}")
    return operator.deploy(
        service, kind="rollback", pinned=spec_from_json(target.spec, base.environment.region)
    )
