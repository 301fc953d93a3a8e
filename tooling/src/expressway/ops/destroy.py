"""`expressway destroy SERVICE`: delete the Express service, wait for INACTIVE, say what stays."""

from __future__ import annotations

from expressway.deploy.deployer import Deployer
from expressway.deploy.waiting import Deadline
from expressway.errors import DeployError
from expressway.registry import resolve


def destroy(deployer: Deployer, key: str, timeout: float) -> list[str]:
    """Delete service `key` and wait until its name is free again; returns what was left in place."""
    arn = deployer.arn(key)
    name = deployer.names.service(key)
    service = deployer.observe(key)
    status = ((service or {}).get("status") or {}).get("statusCode")
    if service is None or status == "INACTIVE":
        deployer.say(f"{key}: {name} is not deployed in {deployer.env}; nothing to delete")
    else:
        if deployer.ecs.delete(arn):
            deployer.say(f"{key}: deleting {name} (DRAINING)")
        deadline = Deadline(timeout, deployer.options.clock)
        while True:
            current = deployer.observe(key)
            state = ((current or {}).get("status") or {}).get("statusCode")
            if current is None or state == "INACTIVE":
                break
            if deadline.passed:
                raise DeployError(
                    f"destroy {key}: still {state} after {timeout:.0f}s",
                    hint="ECS keeps deleting; see `expressway status` later (the name is held till INACTIVE)",
                )
            deployer.options.clock.sleep(deployer.options.poll)
        deployer.say(f"{key}: {name} is INACTIVE; its rule, target groups and certificate are gone")
    return _kept(deployer, key)


def _kept(deployer: Deployer, key: str) -> list[str]:
    """What destroy leaves (shared or holding data), each with the command that removes it."""
    names = deployer.names
    svc = resolve(deployer.registry, key, deployer.env)
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
