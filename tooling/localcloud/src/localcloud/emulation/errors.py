"""The AWS errors the emulated Express Mode API raises, serialized by moto with ECS's error shapes.

The module name must not start with "moto": moto derives an exception's service from its module.
"""

from __future__ import annotations

from moto.core.exceptions import ServiceException


class EcsError(ServiceException):
    """An ECS API error with an AWS error code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


def invalid(message: str) -> EcsError:
    """InvalidParameterException: the request itself is wrong."""
    return EcsError("InvalidParameterException", message)


def client(message: str) -> EcsError:
    """ClientException: the caller did something the service refuses."""
    return EcsError("ClientException", message)


def cluster_not_found() -> EcsError:
    return EcsError("ClusterNotFoundException", "Cluster not found.")


def service_not_found() -> EcsError:
    return EcsError("ServiceNotFoundException", "Service not found.")


def resource_not_found(arn: str) -> EcsError:
    return EcsError("ResourceNotFoundException", f"The specified service {arn} was not found.")


def service_not_active(status: str) -> EcsError:
    return EcsError(
        "ServiceNotActiveException",
        f"Cannot perform this operation on a service in {status} status",
    )


def throttled() -> EcsError:
    return EcsError("ThrottlingException", "Rate exceeded")


def access_denied(role_arn: str) -> EcsError:
    return EcsError(
        "AccessDeniedException",
        f"ECS was unable to assume the role '{role_arn}' that was provided for this task. "
        "Please verify that the role being passed has the proper trust relationship and "
        "permissions and that your IAM user has permissions to pass this role. "
        "Cannot assume role",
    )


def credentials_not_validated() -> EcsError:
    return client("AWS was not able to validate the provided access credentials")
