"""SSM Parameter Store: the secrets services declare (checked before a deploy; the local cloud reads and
seeds them the way the ECS agent and an operator would)."""

from __future__ import annotations

from expressway.aws.session import client, run
from expressway.errors import AwsError, DeployError, NotFoundError
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

    def exists(self, name: str) -> bool:
        """Whether parameter `name` exists. Read without decryption: a SecureString's value stays
        encrypted, so the caller needs ssm:GetParameter but no kms:Decrypt (GetParameter, SSM API
        reference: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html)."""
        try:
            run(f"read parameter {name}", self.api.get_parameter, Name=name, WithDecryption=False)
        except NotFoundError:
            return False
        return True

    def create_secure(self, name: str, value: str) -> bool:
        """Create parameter `name` as a SecureString holding `value` (never printed), unless it exists:
        without Overwrite, SSM refuses a second writer with ParameterAlreadyExists, so of two deployers
        racing the first value stays. True when this call created it."""
        try:
            run(
                f"create parameter {name}",
                self.api.put_parameter,
                Name=name,
                Value=value,
                Type="SecureString",
                Overwrite=False,
            )
        except AwsError as exc:
            if exc.code == "ParameterAlreadyExists":
                return False
            raise
        return True

    def value(self, name: str) -> str | None:
        """The decrypted value of parameter `name`, or None when there is no such parameter (the local
        cloud's demo data reads it; a deploy never needs a secret's value)."""
        try:
            found = run(f"read parameter {name}", self.api.get_parameter, Name=name, WithDecryption=True)
        except NotFoundError:
            return None
        return str(found["Parameter"]["Value"])

    def put_secure(self, name: str, value: str) -> None:
        """Create parameter `name` as a SecureString holding `value` (never printed)."""
        run(f"create parameter {name}", self.api.put_parameter, Name=name, Value=value, Type="SecureString")
