"""SSM Parameter Store: the secrets services declare (checked before a deploy; the local cloud reads and
seeds them the way the ECS agent and an operator would)."""

from __future__ import annotations

from expressway.aws.session import client, run
from expressway.errors import DeployError, NotFoundError
from expressway.registry import Environment


class Ssm:
    def __init__(self, env: Environment) -> None:
        self.api = client(env, "ssm")

    def check_parameters(self, parameters: dict[str, str]) -> None:
        """Fail before deploying when a declared `ssm:` parameter is missing (variable -> name)."""
        for var, name in sorted(parameters.items()):
            try:
                run(f"read parameter {name}", self.api.get_parameter, Name=name, WithDecryption=False)
            except NotFoundError as exc:
                raise DeployError(
                    f"secret {var}: SSM parameter {name} does not exist",
                    hint=f"create it: aws ssm put-parameter --type SecureString --name {name} --value ...",
                ) from exc

    def value(self, name: str) -> str | None:
        """The decrypted value of parameter `name`, or None when there is no such parameter."""
        try:
            found = run(f"read parameter {name}", self.api.get_parameter, Name=name, WithDecryption=True)
        except NotFoundError:
            return None
        return str(found["Parameter"]["Value"])

    def put_secure(self, name: str, value: str) -> None:
        """Create parameter `name` as a SecureString holding `value` (never printed)."""
        run(f"create parameter {name}", self.api.put_parameter, Name=name, Value=value, Type="SecureString")
