"""Cross-field rules of services.toml that one field alone cannot check (pure)."""

from __future__ import annotations

from expressway.registry.models import ENV_VAR, NAME, SECRET, Registry, ResolvedService, resolve
from expressway.registry.names import IAM_ROLE_NAME_MAX, Names
from expressway.registry.refs import check_references
from expressway.registry.sizes import check_size


def check(registry: Registry) -> list[str]:
    """Cross-field rules pydantic cannot see alone: sizes, names, tables, overrides, references."""
    problems: list[str] = []
    project = registry.project.name
    for env_name in registry.environments:
        if not NAME.match(env_name):
            problems.append(f"environments.{env_name}: not a valid name; use a-z, 0-9 and '-'")
    for table in registry.tables:
        if not NAME.match(table):
            problems.append(f"tables.{table}: not a valid name; use a-z, 0-9 and '-'")
    paths: dict[str, str] = {}
    for name, svc in registry.services.items():
        where = f"services.{name}"
        if not NAME.match(name):
            problems.append(f"{where}: not a valid name; use a-z, 0-9 and '-', starting with a letter")
        roles = [
            role
            for env_name in registry.environments
            for role in (
                Names(project, env_name, "").execution_role(name),
                Names(project, env_name, "").task_role(name),
            )
        ]
        if any(len(role) > IAM_ROLE_NAME_MAX for role in roles):
            problems.append(
                f"{where}: name too long; IAM role names derived from it exceed {IAM_ROLE_NAME_MAX} chars"
            )
        if svc.path in paths:
            problems.append(f"{where}.path: {svc.path!r} is already used by {paths[svc.path]!r}")
        paths[svc.path] = name
        for table in svc.tables:
            if table not in registry.tables:
                known = ", ".join(sorted(registry.tables)) or "none"
                problems.append(f"{where}.tables.{table}: no such table; known tables: {known}")
        for env_name in svc.environments:
            if env_name not in registry.environments:
                known = ", ".join(sorted(registry.environments))
                problems.append(f"{where}.environments.{env_name}: no such environment; known: {known}")
        for var in svc.generate_secrets:
            if var not in {*svc.secrets, *(v for over in svc.environments.values() for v in over.secrets)}:
                problems.append(f"{where}.generate_secrets: {var!r} is not one of the service's secrets")
        layers: list[str | None] = [None, *svc.environments]
        for layer in layers:
            problems.extend(_check_settings(resolve(registry, name, layer), where, layer))
    problems.extend(check_references(registry))
    return problems


def _check_settings(svc: ResolvedService, where: str, env_name: str | None) -> list[str]:
    at = f"{where}.environments.{env_name}" if env_name else where
    problems = [f"{at}.{p}" for p in check_size(svc.cpu, svc.memory)]
    if not 1 <= svc.port <= 65535:
        problems.append(f"{at}.port: {svc.port} is out of range; use 1 to 65535")
    if not svc.health.startswith("/"):
        problems.append(f"{at}.health: {svc.health!r} must start with '/'")
    for var in [*svc.env, *svc.secrets]:
        if not ENV_VAR.match(var):
            problems.append(f"{at}: {var!r} is not a valid environment variable name")
    for var in set(svc.env) & set(svc.secrets):
        problems.append(f"{at}.secrets.{var}: also set in env; a variable is one or the other")
    for var in svc.generated:
        ref = svc.secrets.get(var)
        if ref is not None and not ref.startswith("ssm:"):
            problems.append(
                f"{at}.secrets.{var}: only an SSM parameter ('ssm:/name') can be generated, not {ref!r}"
            )
    for var, ref in svc.secrets.items():
        if not SECRET.match(ref):
            problems.append(
                f"{at}.secrets.{var}: {ref!r} is not a secret reference; "
                "use 'ssm:/parameter/name' or a Secrets Manager ARN"
            )
    return problems
