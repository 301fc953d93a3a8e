"""SSM Parameter Store: check that each secret a service declares exists before deploying it."""

from __future__ import annotations

from expressway.aws.session import client, run
from expressway.errors import DeployError, NotFoundError
from expressway.registry import Environment


def check_parameters(env: Environment, parameters: dict[str, str]) -> None:
    """Fail before deploying when a declared `ssm:` parameter is missing (variable -> name)."""
    api = client(env, "ssm")
    for var, name in sorted(parameters.items()):
        try:
            run(f"read parameter {name}", api.get_parameter, Name=name, WithDecryption=False)
        except NotFoundError as exc:
            raise DeployError(
                f"secret {var}: SSM parameter {name} does not exist",
                hint=f"create it: aws ssm put-parameter --type SecureString --name {name} --value ...",
            ) from exc
