"""`expressway destroy SERVICE`: delete the Express service, wait for INACTIVE, say what stays; the
deletion goes into the service's history (kind `destroy`) beside its deploys."""

from __future__ import annotations

from collections.abc import Callable

from expressway.aws.ledger import Ledger
from expressway.deploy.history import DESTROY, FAILED, SUCCEEDED, DeployRecord, History, now_iso
from expressway.deploy.lock import DeployLock, holder_name
from expressway.deploy.target import Target
from expressway.deploy.waiting import Clock, Deadline
from expressway.errors import DeployError, ExpresswayError
from expressway.plan.live import LiveService
from expressway.registry import resolve


def destroy(
    target: Target,
    key: str,
    timeout: float,
    say: Callable[[str], None],
    *,
    poll: float = 5.0,
    clock: Clock | None = None,
    history: History | None = None,
    lock_wait: float = 0.0,
) -> list[str]:
    """Delete service `key`, wait until its name is free again and record it in `history` (the
    environment's operations table by default); returns what was left in place.

    It holds the service's deploy lock throughout, as a deploy does: a destroy never deletes a
    service under a deploy in flight (DeployError naming the deploy's holder), and a deploy started
    meanwhile waits or is refused instead of recreating the service halfway through the deletion."""
    clock = clock or Clock()
    records = history or History(Ledger(target.environment, target.names), target.env)
    who = holder_name(target.identity().arn)
    lock = DeployLock(records.ledger, key, who, clock=clock, action="destroy")
    with lock.held(lock_wait, say=say):
        return _destroy(
            target, key, timeout, say, poll=poll, clock=clock, records=records, guard=lock.confirm
        )


def _destroy(
    target: Target,
    key: str,
    timeout: float,
    say: Callable[[str], None],
    *,
    poll: float,
    clock: Clock,
    records: History,
    guard: Callable[[], None],
) -> list[str]:
    name = target.names.service(key)
    service = target.observe(key)
    if service is None or service.gone:
        say(f"{key}: {name} is not deployed in {target.env}; nothing to delete")
        return _kept(target, key)
    at = now_iso()
    try:
        guard()
        if target.ecs.delete(target.arn(key)):
            say(f"{key}: deleting {name} (DRAINING)")
        deadline = Deadline(timeout, clock)
        while True:
            current = target.observe(key)
            if current is None or current.gone:
                break
            if deadline.passed:
                raise DeployError(
                    f"destroy {key}: still {current.status} after {timeout:.0f}s",
                    hint="ECS keeps deleting; see `expressway status` later (the name is held till INACTIVE)",
                )
            clock.sleep(poll)
    except ExpresswayError as exc:
        _record(records, target, key, service, at, FAILED, exc.message.splitlines()[0])
        raise
    _record(records, target, key, service, at, SUCCEEDED, f"deleted {name}")
    say(f"{key}: {name} is INACTIVE; its rule, target groups and certificate are gone")
    return _kept(target, key)


def _record(
    records: History, target: Target, key: str, was: LiveService, at: str, outcome: str, reason: str
) -> None:
    """The deletion as a history record: what ran until then (version, image, URL), who, when."""
    records.add(
        DeployRecord(
            service=key,
            environment=target.env,
            version=was.version or "unknown",
            image=was.image or "",
            at=at,
            who=target.identity().arn,
            outcome=outcome,
            reason=reason,
            kind=DESTROY,
            spec="",
            url=was.url,
        )
    )


def _kept(target: Target, key: str) -> list[str]:
    """What destroy leaves (shared or holding data), each with the command that removes it."""
    names = target.names
    svc = resolve(target.registry, key, target.env)
    group = names.log_group(key)
    kept = [f"log group {group}: aws logs delete-log-group --log-group-name {group}"]
    for role in (names.execution_role(key), names.task_role(key)):
        kept.append(f"role {role}: detach/delete its policies, then aws iam delete-role --role-name {role}")
    for table in sorted(svc.tables):
        kept.append(
            f"table {names.table(table)} (data; may be shared): "
            f"aws dynamodb delete-table --table-name {names.table(table)}"
        )
    kept.append(
        f"images of {key} in ECR: list them with aws ecr describe-repositories, then batch-delete-image"
    )
    return kept
