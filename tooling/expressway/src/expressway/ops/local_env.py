"""`expressway local-env`: the shell lines that point the AWS CLI and boto3 at the running local cloud
(its endpoint, the environment's region and a key of the session), e.g. `eval "$(expressway local-env)"`."""

from __future__ import annotations

import shlex

from expressway.aws import local_state, session
from expressway.errors import ExpresswayError, UsageError
from expressway.registry import Registry

IDENTITIES = ("developer", "deployer", "runtime")


def local_environment(registry: Registry, explicit: str | None) -> str:
    """--env, else $EXPRESSWAY_ENV, else the first environment served by the local cloud."""
    if explicit:
        registry.environment(explicit)
        return explicit
    found = next((name for name, env in registry.environments.items() if env.endpoint), None)
    if found is None:
        raise UsageError(
            "local-env: no environment in services.toml has an endpoint (the local cloud)",
            hint='add `endpoint = "http://127.0.0.1:4566"` to [environments.local]',
        )
    return found


def lines(registry: Registry, env: str, identity: str = "developer") -> list[str]:
    """`export AWS_...=...` lines for the local cloud serving `env`, after checking it answers."""
    environment = registry.environment(env)
    endpoint = session.endpoint_url(environment)
    if endpoint is None:
        raise UsageError(
            f"local-env: environment {env!r} is AWS itself, not the local cloud",
            hint="pass --env with an environment that has an `endpoint` in services.toml",
        )
    local_state.read(endpoint, "local-env")  # names the fix when no local cloud runs
    key, secret = session.local_keys(environment, identity)
    sts = session.client(environment, "sts", identity=identity)
    try:
        who = session.run("local-env: ask the local cloud who we are", sts.get_caller_identity)
    except ExpresswayError as exc:
        raise ExpresswayError(
            f"local-env: the local cloud at {endpoint} does not answer: {exc.message}",
            hint="start it with `nox -s dev` (or `uv run expressway dev`) and keep it running",
        ) from exc
    values = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": environment.region,
        "AWS_DEFAULT_REGION": environment.region,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
    }
    found = [f"# the local cloud at {endpoint} as {who['Arn']}"]
    found += [f"export {name}={shlex.quote(value)}" for name, value in values.items()]
    # a session token or profile from another shell would make the CLI ignore or reject these keys
    found.append("unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_PROFILE")
    return found
