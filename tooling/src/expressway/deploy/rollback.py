"""`expressway rollback SERVICE [--to VERSION]`: an earlier deploy's exact digest and config, no rebuild."""

from __future__ import annotations

from typing import Any

from expressway.aws.imagepins import ImagePins
from expressway.deploy.deployer import Deployer
from expressway.deploy.fleet import Operator, RecordingDeployer, Result
from expressway.deploy.history import SUCCEEDED, DeployRecord, History, spec_from_json
from expressway.errors import DeployError, UsageError
from expressway.plan.desired import Spec
from expressway.plan.steps import active_configuration


class PinnedDeployer(RecordingDeployer):
    """Deploys recorded Specs as they were (image digest, environment, roles, scaling), nothing rebuilt."""

    pinned: dict[str, Spec]

    @classmethod
    def pinned_to(cls, other: Deployer, specs: dict[str, Spec], version: str) -> PinnedDeployer:
        made = cls(other.registry, other.env, other.images, other.prober, version, other.say, other.options)
        made.pinned = specs
        return made

    def spec_for(self, key: str, observed: dict[str, Any] | None, *, planning: bool) -> Spec:
        del observed  # the recorded Spec is deployed as it was, whatever runs now
        found = self.pinned[key]
        if not planning:
            with self._applied_lock:
                self.applied[key] = found
        return found


def live_image(observed: dict[str, Any] | None) -> str | None:
    image = (active_configuration(observed or {}).get("primaryContainer") or {}).get("image")
    return str(image) if image else None


def choose(service: str, records: list[DeployRecord], live: str | None, to: str | None) -> DeployRecord:
    """The record to roll back to: `to` (a version prefix or digest), else the newest not running now."""
    good = [r for r in records if r.outcome == SUCCEEDED]
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
    probe = Operator(RecordingDeployer.like(base), lock_wait=lock_wait)
    target = choose(
        service, History(probe.ledger, base.env).records(service), live_image(base.observe(service)), to
    )
    if not ImagePins(base.environment).exists(target.image):
        raise DeployError(
            f"rollback {service}: the image of {target.version[:12]} is gone: {target.image}",
            hint="it was deleted from ECR; deploy that commit again to rebuild it",
        )
    what = target.digest or target.image
    base.say(f"{service}: rolling back to {target.version[:12]} ({what}), deployed {target.at}")
    pinned = PinnedDeployer.pinned_to(base, {service: spec_from_json(target.spec)}, target.version)
    operator = Operator(pinned, lock_wait=lock_wait)
    return operator.deploy(service, kind="rollback")
