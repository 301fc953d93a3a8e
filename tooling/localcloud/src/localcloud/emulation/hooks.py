"""install(): teach moto 5.2.5's ECS the Express Mode operations, the fault hooks, the control
endpoints and a reset that also restores settings and disarms faults."""

from __future__ import annotations

import threading
from typing import Any

import moto
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.base_backend import BackendDict
from moto.ec2.models import EC2Backend
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.iam.models import IAMBackend
from moto.moto_api._internal import urls as moto_api_urls
from moto.servicequotas.models import ServiceQuotasBackend

from . import agent, authorizer, control, default_vpc, guards, quotas, responses, service_linked, targets
from .config import restore_baseline
from .faults import faults

MOTO_VERSION = "5.2.5"  # the moto internals this extension relies on (see pyproject pin)
_MARK = "_expressway_emulation"
_LOCK = threading.Lock()


def _ours(value: Any) -> bool:
    return bool(getattr(value, _MARK, False))


def _mark(fn: Any) -> Any:
    setattr(fn, _MARK, True)
    return fn


def _backend_method(op: Any) -> Any:
    def method(self: Any, **params: Any) -> dict[str, Any]:
        with responses.LOCK:
            result: dict[str, Any] = op(self, params)
            return result

    method.__name__ = op.__name__
    return _mark(method)


def install() -> None:
    """Add the Express operations to moto (idempotent). Call before the moto server handles its
    first request. Refuses to shadow an operation moto itself implements, or another moto."""
    with _LOCK:
        if moto.__version__ != MOTO_VERSION:
            raise RuntimeError(
                f"expressway emulation: moto {moto.__version__} is installed but the emulation "
                f"was written against moto {MOTO_VERSION}; pin moto[server]=={MOTO_VERSION}"
            )
        for name in responses.HANDLERS:
            for cls in (EC2ContainerServiceResponse, EC2ContainerServiceBackend):
                present = cls.__dict__.get(name)
                if present is not None and not _ours(present):
                    raise RuntimeError(
                        f"expressway emulation: moto already implements {name}; not overriding it"
                    )
        for name, handler in responses.HANDLERS.items():
            setattr(EC2ContainerServiceResponse, name, _mark(handler))
            setattr(EC2ContainerServiceBackend, name, _backend_method(_operation(name)))
        for name, wrap in guards.WRAPPERS.items():
            current = EC2ContainerServiceResponse.__dict__[name]
            if not _ours(current):
                setattr(EC2ContainerServiceResponse, name, _mark(wrap(current)))
        targets.install(_mark, _ours)
        if not _ours(ActionAuthenticatorMixin.__dict__.get("_authenticate_and_authorize_normal_action")):
            # every request signed by a known key and allowed by IAM, once moto's auth is on
            hook = _mark(authorizer.authenticate_and_authorize)
            setattr(ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action", hook)  # noqa: B010
        if not _ours(EC2ContainerServiceResponse.__dict__.get("call_action")):
            setattr(EC2ContainerServiceResponse, "call_action", _mark(responses.call_action))  # noqa: B010
        if not _ours(BackendDict.__dict__["reset"].__func__):
            original = BackendDict.__dict__["reset"].__func__

            def reset(cls: Any) -> None:
                original(cls)
                restore_baseline()
                faults.clear()
                authorizer.decisions.clear()

            setattr(BackendDict, "reset", classmethod(_mark(reset)))  # noqa: B010
        # What other moto services leave out that a deploy relies on.
        _wrap(ServiceQuotasBackend, "get_service_quota", quotas.get_service_quota)
        _wrap(IAMBackend, "create_service_linked_role", service_linked.create_service_linked_role)
        _wrap(EC2Backend, "create_default_vpc", default_vpc.create_default_vpc)
        paths: dict[str, Any] = moto_api_urls.url_paths
        paths.setdefault("{0}" + control.CONFIG_PATH, control.config_endpoint)
        paths.setdefault("{0}" + control.FAULTS_PATH, control.faults_endpoint)
        paths.setdefault("{0}" + control.IDENTITIES_PATH, control.identities_endpoint)
        paths.setdefault("{0}" + control.IAM_PATH, control.iam_endpoint)
        paths.setdefault("{0}" + agent.AGENT_PATH, agent.endpoint)


def _wrap(cls: type, name: str, wrapper: Any) -> None:
    """Replace `cls.name` (its own or inherited) with `wrapper(original)`, once."""
    current = getattr(cls, name)
    if not _ours(current):
        setattr(cls, name, _mark(wrapper(current)))


def _operation(name: str) -> Any:
    """The backend-level function behind a handler (also installed as a backend method)."""
    return next(fn for fn in responses.OPERATIONS if fn.__name__ == name)


def installed() -> bool:
    return _ours(EC2ContainerServiceResponse.__dict__.get("create_express_gateway_service"))
