"""Cross-field rules of services.toml that one field alone cannot check (pure)."""

from __future__ import annotations

import re

from expressway.registry import hostenv
from expressway.registry.forms import ENV_VAR, NAME, dotted, secret_problem, short
from expressway.registry.models import Registry, ResolvedService, resolve
from expressway.registry.names import IAM_ROLE_NAME_MAX, Names
from expressway.registry.refs import check_references
from expressway.registry.sizes import check_size
from expressway.registry.workspace import Workspace

# A URL path of visible ASCII characters: it becomes the target group's health check path.
_HEALTH = re.compile(r"/[!-~]*", re.ASCII)


def check(registry: Registry, workspace: Workspace | None = None) -> list[str]:
    """Cross-field rules pydantic cannot see alone: sizes, names, tables, overrides, references, and
    with a `workspace`, that each service's folder is one of its members."""
    problems: list[str] = []
    project = registry.project.name
    for env_name in registry.environments:
        if not NAME.fullmatch(env_name):
            problems.append(f"{dotted('environments', env_name)}: not a valid name; use a-z, 0-9 and '-'")
    for table in registry.tables:
        if not NAME.fullmatch(table):
            problems.append(f"{dotted('tables', table)}: not a valid name; use a-z, 0-9 and '-'")
    paths: dict[str, str] = {}
    for name, svc in registry.services.items():
        where = dotted("services", name)
        if workspace is not None and (outside := workspace.problem(svc.path)):
            problems.append(f"{where}.path: {outside}")
        if not NAME.fullmatch(name):
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
            problems.append(f"{where}.path: {svc.path!r} is already used by {short(paths[svc.path])}")
        paths[svc.path] = name
        for table in svc.tables:
            if table not in registry.tables:
                known = ", ".join(dotted(t) for t in sorted(registry.tables)) or "none"
                problems.append(f"{where}.{dotted('tables', table)}: no such table; known tables: {known}")
        for env_name in svc.environments:
            if env_name not in registry.environments:
                known = ", ".join(dotted(e) for e in sorted(registry.environments))
                at = dotted("environments", env_name)
                problems.append(f"{where}.{at}: no such environment; known: {known}")
        for var in svc.generate_secrets:
            if var not in {*svc.secrets, *(v for over in svc.environments.values() for v in over.secrets)}:
                problems.append(f"{where}.generate_secrets: {short(var)} is not one of the service's secrets")
        problems.extend(_host_variables(registry, name))
        layers: list[str | None] = [None, *svc.environments]
        for layer in layers:
            problems.extend(_check_settings(resolve(registry, name, layer), where, layer))
    problems.extend(check_references(registry))
    return problems


def _check_settings(svc: ResolvedService, where: str, env_name: str | None) -> list[str]:
    at = f"{where}.{dotted('environments', env_name)}" if env_name else where
    problems = [f"{at}.{p}" for p in check_size(svc.cpu, svc.memory)]
    if not 1 <= svc.port <= 65535:
        problems.append(f"{at}.port: {svc.port} is out of range; use 1 to 65535")
    if not svc.health.startswith("/"):
        problems.append(f"{at}.health: {short(svc.health)} must start with '/'")
    elif not _HEALTH.fullmatch(svc.health):
        problems.append(f"{at}.health: {short(svc.health)} is not a URL path; use visible ASCII, no spaces")
    for var in [*svc.env, *svc.secrets]:
        if not ENV_VAR.fullmatch(var):
            problems.append(f"{at}: {short(var)} is not a valid environment variable name")
    for var in sorted(set(svc.env) & set(svc.secrets)):
        problems.append(f"{at}.{dotted('secrets', var)}: also set in env; a variable is one or the other")
    for var in svc.generated:
        ref = svc.secrets.get(var)
        if ref is not None and not ref.startswith("ssm:"):
            problems.append(
                f"{at}.{dotted('secrets', var)}: only an SSM parameter ('ssm:/name') can be generated, "
                f"not {short(ref)}"
            )
    for var, ref in svc.secrets.items():
        if why := secret_problem(ref):
            problems.append(f"{at}.{dotted('secrets', var)}: {why}")
    return problems


def _host_variables(registry: Registry, name: str) -> list[str]:
    """Variables the service's local tasks would get that steer the host rather than the app: those
    of its base `env` and `secrets` (every environment's tasks get them) and of a local environment's
    override. An AWS environment's override reaches only its containers, so it may set them."""
    svc = registry.services[name]
    where = dotted("services", name)
    layers: list[tuple[str, dict[str, str], dict[str, str]]] = [(where, svc.env, svc.secrets)]
    for env_name, over in svc.environments.items():
        environment = registry.environments.get(env_name)
        if environment is not None and environment.endpoint is not None:
            layers.append((f"{where}.{dotted('environments', env_name)}", over.env, over.secrets))
    problems: list[str] = []
    for at, env, secrets in layers:
        for kind, names in (("env", env), ("secrets", secrets)):
            for var, why in hostenv.refused(names).items():
                problems.append(
                    f"{at}.{dotted(kind, var)}: {dotted(name)} may not set it: the local cloud runs the "
                    f"service as a process of this machine, and {dotted(var)} {why}"
                )
    return problems
