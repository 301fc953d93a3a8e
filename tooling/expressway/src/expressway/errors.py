"""The ExpresswayError family: every failure a user or AWS can cause, worded `{what}: {why}` + hint.

ExpresswayError          base; the CLI prints it (and its hint) and exits 1, never a traceback
├── ConfigError          services.toml is missing, malformed or invalid
├── UsageError           the command line names something that does not exist
├── CredentialsError     no usable AWS credentials for the environment
├── AwsError             an AWS call failed (after retries); carries the operation and error code
│   └── NotFoundError    the resource asked for does not exist
└── DeployError          a deployment ran but did not succeed (rollback, timeout, failed health)
"""

from __future__ import annotations


class ExpresswayError(Exception):
    """Raised for any failure the user can act on; `str()` reads `{what}: {why}`."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(ExpresswayError):
    """Raised when services.toml cannot be read or fails validation; one line per problem."""

    def __init__(self, problems: list[str], *, hint: str | None = None) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(problems), hint=hint)


class UsageError(ExpresswayError):
    """Raised when a command-line argument names an unknown service or environment."""


class CredentialsError(ExpresswayError):
    """Raised when no AWS credentials can be found (or the profile named does not exist)."""


class AwsError(ExpresswayError):
    """Raised when an AWS call fails after its retries; keeps the operation and AWS error code."""

    def __init__(self, message: str, *, operation: str, code: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.operation = operation
        self.code = code


class NotFoundError(AwsError):
    """Raised when the AWS resource asked for does not exist."""


class DeployError(ExpresswayError):
    """Raised when a deployment was started but did not end SUCCESSFUL and healthy."""
