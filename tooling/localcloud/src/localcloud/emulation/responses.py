"""Request handlers for the Express operations, injected into moto's ECS response class.

moto parses each request against botocore's ECS model before a handler runs and serializes
the returned ActionResult against the operation's output shape (unknown keys are dropped).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult, BaseResponse

from . import deployment_ops, errors, service_ops
from .faults import faults

# moto's server handles requests on several threads; the emulator's records are shared.
LOCK = threading.RLock()


def _op(fn: Callable[[Any, dict[str, Any]], dict[str, Any]]) -> Callable[[Any], ActionResult]:
    def handler(self: Any) -> ActionResult:
        with LOCK:
            return ActionResult(fn(self.ecs_backend, dict(self._get_params())))

    handler.__name__ = fn.__name__
    handler.__doc__ = fn.__doc__
    return handler


def create_express_gateway_service(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    return {"service": service_ops.create(backend, params)}


def describe_express_gateway_service(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    return {"service": service_ops.describe(backend, params["serviceArn"], params.get("include"))}


def update_express_gateway_service(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    return {"service": service_ops.update(backend, params)}


def delete_express_gateway_service(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    return {"service": service_ops.delete(backend, params["serviceArn"])}


def list_service_deployments(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    return deployment_ops.list_deployments(backend, params)


def describe_service_deployments(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    return deployment_ops.describe_deployments(backend, params["serviceDeploymentArns"])


def describe_service_revisions(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    return deployment_ops.describe_revisions(backend, params["serviceRevisionArns"])


OPERATIONS = (
    create_express_gateway_service,
    describe_express_gateway_service,
    update_express_gateway_service,
    delete_express_gateway_service,
    list_service_deployments,
    describe_service_deployments,
    describe_service_revisions,
)
HANDLERS: dict[str, Callable[[Any], ActionResult]] = {fn.__name__: _op(fn) for fn in OPERATIONS}


def call_action(self: Any) -> Any:
    """moto's dispatch, after letting an armed throttling fault reject the call."""
    if faults.take_throttle(self._get_action()):
        with warnings.catch_warnings():
            # ECS's model lists no ThrottlingException shape, but AWS sends one (and botocore
            # retries it); moto warns about codes outside the model.
            warnings.simplefilter("ignore", UserWarning)
            status, headers, body = self.serialized(ActionResult(errors.throttled()))
        headers["status"] = status
        return status, headers, body
    return BaseResponse.call_action(self)
