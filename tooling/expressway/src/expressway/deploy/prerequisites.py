"""Everything a service needs before Express can run it: cluster, roles, secrets, tables, log group."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from expressway.aws.dynamodb import Dynamo
from expressway.aws.ecs import Ecs
from expressway.aws.iam import Iam
from expressway.aws.logs import Logs
from expressway.aws.ssm import Ssm
from expressway.errors import ExpresswayError
from expressway.plan import policies
from expressway.plan.arns import INFRASTRUCTURE_MANAGED_POLICY, Arns
from expressway.plan.deployer_policy import SERVICE_LINKED
from expressway.plan.desired import Spec
from expressway.registry import Registry, resolve
from expressway.registry.names import TAG_ENVIRONMENT, TAG_PROJECT, Names


def _tags(names: Names) -> dict[str, str]:
    return {TAG_PROJECT: names.project, TAG_ENVIRONMENT: names.env}


def ensure_shared(registry: Registry, env: str, arns: Arns, say: Callable[[str], None]) -> bool:
    """Resources every service of the environment shares: the service-linked roles Express relies on,
    cluster, infrastructure role, tables. True when an IAM role or policy changed (IAM takes time to
    make a change effective everywhere)."""
    environment = registry.environment(env)
    names = Names.of(registry, env)
    iam = Iam(environment)
    # Express's infrastructure policy may create the ELB and autoscaling roles itself, but a fresh
    # account can see ALBs stuck provisioning until they exist; ECS needs its own for Fargate tasks.
    linked = iam.ensure_service_linked_roles(SERVICE_LINKED)
    for service in linked:
        say(f"created the service-linked role of {service}")
    if Ecs(environment).ensure_cluster(names.cluster):
        say(f"created cluster {names.cluster}")
    check_boundary(iam, registry, env, arns, say)
    changed = iam.ensure_role(
        names.infrastructure_role,
        policies.trust(policies.ECS_PRINCIPAL),
        [arns.managed_policy(INFRASTRUCTURE_MANAGED_POLICY)],
        None,
        _tags(names),
        path=names.infrastructure_path,
    )
    if changed:
        say(f"infrastructure role {names.infrastructure_role}: {', '.join(changed)}")
    dynamo = Dynamo(environment)
    for key, table in registry.tables.items():
        done = dynamo.ensure_table(names.table(key), table, _tags(names))
        if done:
            say(f"table {names.table(key)}: {', '.join(done)}")
    return bool(linked or changed)


def boundary_problem(iam: Iam, registry: Registry, env: str, arns: Arns) -> tuple[bool, str, str] | None:
    """None when the environment's permissions boundary exists and says what services.toml needs;
    else (missing, what is wrong, the administrator's fix)."""
    names = Names.of(registry, env)
    arn = policies.boundary_arn(names, arns)
    found = iam.policy_document(arn)
    command = f"expressway policy --env {env} --boundary > boundary.json"
    if found is None:
        return (
            True,
            f"the roles' permissions boundary {arn} does not exist: an administrator creates it once "
            "per environment",
            f"{command}; aws iam create-policy --path {names.role_path} --policy-name "
            f"{names.boundary_policy} --policy-document file://boundary.json",
        )
    if found != policies.boundary_policy(registry, env, arns):
        return (
            False,
            f"the permissions boundary {names.boundary_policy} differs from services.toml: tasks are "
            "held to the old one (a new table or secret stays out of their reach)",
            f"{command}; aws iam create-policy-version --policy-arn {arn} --policy-document "
            "file://boundary.json --set-as-default",
        )
    return None


def ensure_boundary(iam: Iam, registry: Registry, env: str, arns: Arns) -> bool:
    """An administrator's step, taken by the local cloud for its session and by the deploy bench: make
    the environment's permissions boundary say what services.toml needs. True when it changed."""
    names = Names.of(registry, env)
    return iam.ensure_policy(
        policies.boundary_arn(names, arns), policies.boundary_policy(registry, env, arns)
    )


def check_boundary(iam: Iam, registry: Registry, env: str, arns: Arns, say: Callable[[str], None]) -> None:
    """The boundary must exist before any role is made under it (IAM refuses a CreateRole that names
    a missing boundary); one older than services.toml is a warning."""
    problem = boundary_problem(iam, registry, env, arns)
    if problem is None:
        return
    missing, what, hint = problem
    if missing:
        raise ExpresswayError(f"deploy {env}: {what}", hint=hint)
    say(f"warning: {what}. An administrator updates it: {hint}")


def ensure_service(registry: Registry, env: str, spec: Spec, say: Callable[[str], None]) -> bool:
    """The service's own resources: execution and task roles, checked secrets, log group. True when an
    IAM role or policy changed."""
    environment = registry.environment(env)
    names = Names.of(registry, env)
    tags = names.tags(spec.key)
    iam = Iam(environment)
    # Neither role gets an AWS managed policy: an inline one scoped to this service does each job.
    iam_changed = False
    for role, inline in ((spec.execution_role, spec.execution_policy), (spec.task_role, spec.task_policy)):
        changed = iam.ensure_role(
            role,
            policies.trust(policies.TASKS_PRINCIPAL),
            [],
            inline,
            tags,
            path=names.role_path,
            boundary=spec.role_boundary,
        )
        if changed:
            say(f"role {role}: {', '.join(changed)}")
            iam_changed = True
    resolved = resolve(registry, spec.key, env)
    ssm = {var: ref[4:] for var, ref in resolved.secrets.items() if ref.startswith("ssm:")}
    parameters = Ssm(environment)
    for var in resolved.generated:
        if var in ssm and not parameters.exists(ssm[var]):
            # Random, URL-safe, 43 characters (256 bits); never printed, logged or recorded. Another
            # deploy may create it between the two calls: then its value stays and this one is dropped.
            if parameters.create_secure(ssm[var], secrets.token_urlsafe(32)):
                say(f"secret {var}: created SSM parameter {ssm[var]} with a random value")
            else:
                say(f"secret {var}: SSM parameter {ssm[var]} was created meanwhile by another deploy; kept")
    parameters.check_parameters(ssm)
    if Logs(environment).ensure_group(spec.log_group, spec.log_retention_days, tags):
        say(f"created log group {spec.log_group} ({spec.log_retention_days} days)")
    return iam_changed
