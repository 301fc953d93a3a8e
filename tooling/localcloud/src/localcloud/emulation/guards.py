"""What plain ECS calls do differently for an Express service: ListServices filters on
resourceManagementType, DeleteService refuses it, and UpdateService cannot touch what Express
Mode owns (the botocore ECS model's operations and their error shapes; docs/aws-facts.md). And
what moto leaves out of plain ECS listings: pages. ListClusters, ListServices and ListTasks answer
at most `maxResults` items (default 100, ListServices 10) and a `nextToken` while more remain,
as the ECS API reference describes them; moto returns everything at once."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult

from . import errors
from .responses import LOCK

Handler = Callable[[Any], ActionResult]


def _express_service(self: Any) -> Any | None:
    """The moto ECS service the request names, when it is an Express (ECS-managed) service."""
    backend = self.ecs_backend
    cluster = str(self._get_param("cluster") or "default").split("/")[-1]
    wanted = str(self._get_param("service") or "")
    for service in backend.services.values():
        if service.cluster_name == cluster and wanted in (service.name, service.arn):
            return service if getattr(service, "resource_management_type", None) == "ECS" else None
    return None


def list_services(original: Handler) -> Handler:
    def handler(self: Any) -> ActionResult:
        result = original(self)
        wanted = self._get_param("resourceManagementType")
        if not wanted:
            return result
        kinds = {
            service.arn: getattr(service, "resource_management_type", None) or "CUSTOMER"
            for service in self.ecs_backend.services.values()
        }
        listed: dict[str, list[str]] = result.result  # type: ignore[assignment]  # moto: object
        arns = [arn for arn in listed["serviceArns"] if kinds.get(arn) == wanted]
        return ActionResult({"serviceArns": arns})

    return handler


def _paged(key: str, default: int) -> Callable[[Handler], Handler]:
    """Cut a listing into pages of `maxResults`; `nextToken` carries the offset (opaque to clients)."""

    def wrap(original: Handler) -> Handler:
        def handler(self: Any) -> ActionResult:
            result = original(self)
            listed: dict[str, Any] = dict(result.result)  # type: ignore[call-overload]  # moto: object
            items = list(listed.get(key) or [])
            size = int(self._get_param("maxResults") or default)
            if not 1 <= size <= 100:
                raise errors.invalid("maxResults must be between 1 and 100.")
            token = str(self._get_param("nextToken") or "")
            try:
                start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
            except (ValueError, binascii.Error):
                raise errors.invalid("The nextToken is not valid.") from None
            page: dict[str, Any] = {**listed, key: items[start : start + size]}
            page.pop("nextToken", None)
            if start + size < len(items):
                page["nextToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
            return ActionResult(page)

        return handler

    return wrap


def delete_service(original: Handler) -> Handler:
    def handler(self: Any) -> ActionResult:
        with LOCK:
            service = _express_service(self)
        if service is not None and service.status != "INACTIVE":
            raise errors.invalid(
                f"{service.arn} has ResourceManagementType=ECS use DeleteExpressGatewayService to delete"
            )
        return original(self)

    return handler


def update_service(original: Handler) -> Handler:
    def handler(self: Any) -> ActionResult:
        with LOCK:
            service = _express_service(self)
        for field in ("loadBalancers", "deploymentConfiguration", "deploymentController"):
            if service is not None and self._get_param(field) is not None:
                raise errors.invalid(f"{field} can not be updated on Express Mode services.")
        return original(self)

    return handler


def list_tasks(_original: Handler) -> Handler:
    """ListTasks as AWS answers it: only RUNNING tasks unless `desiredStatus` says otherwise, and
    `serviceName` filters (moto lists every task and ignores the service)."""

    def handler(self: Any) -> ActionResult:
        with LOCK:
            service = self._get_param("serviceName")
            found = self.ecs_backend.list_tasks(
                self._get_param("cluster", "default"),
                self._get_param("containerInstance"),
                self._get_param("family"),
                self._get_param("startedBy"),
                None,
                self._get_param("desiredStatus") or "RUNNING",
            )
            if service:
                group = f"service:{str(service).split('/')[-1]}"
                found = [task for task in found if getattr(task, "group", None) == group]
            return ActionResult({"taskArns": [task.task_arn for task in found]})

    return handler


WRAPPERS: dict[str, Callable[[Handler], Handler]] = {
    # paged after filtering, as AWS pages the filtered listing
    "list_services": lambda original: _paged("serviceArns", 10)(list_services(original)),
    "list_clusters": _paged("clusterArns", 100),
    "list_tasks": lambda original: _paged("taskArns", 100)(list_tasks(original)),
    "delete_service": delete_service,
    "update_service": update_service,
}
