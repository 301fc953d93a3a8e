"""HTTP control endpoints on the moto server: settings and faults for emulator clients in other
processes. moto routes every /moto-api/ path to its own app, so ours live under it:

    GET  /moto-api/expressway/config             -> the settings in force (JSON)
    POST /moto-api/expressway/config   {...}     -> change settings
                                                    ({"baseline": true}: kept over resets)
    GET  /moto-api/expressway/faults             -> what is armed
    POST /moto-api/expressway/faults   {"fault": "throttle", "times": 2, "operation": "..."}
    DELETE /moto-api/expressway/faults           -> disarm everything
    GET  /moto-api/expressway/identities         -> the callers the server knows (name, ARN)
    POST /moto-api/expressway/identities {"name": "deployer", "policy": {...}}
                                                 -> make that IAM user (or replace its policy)
    GET  /moto-api/expressway/iam                -> IAM decisions per principal and action
    DELETE /moto-api/expressway/iam              -> forget them

POST /moto-api/reset (moto's own) restores the baseline settings and disarms every fault.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import identities
from .authorizer import decisions
from .config import configure, current_config
from .faults import faults

CONFIG_PATH = "/moto-api/expressway/config"
FAULTS_PATH = "/moto-api/expressway/faults"
IDENTITIES_PATH = "/moto-api/expressway/identities"
IAM_PATH = "/moto-api/expressway/iam"
# Called after the identities change (the server rewrites its state file).
identities_changed: list[Callable[[], None]] = []
_FAULTS: dict[str, Callable[..., None]] = {
    "throttle": faults.throttle,
    "delay_provisioning": faults.delay_provisioning,
    "fail_next_deployment": faults.fail_next_deployment,
    "iam_propagation": faults.iam_propagation,
    "fail_provisioning": faults.fail_provisioning,
    "fail_tasks": faults.fail_tasks,
}
_JSON = {"Content-Type": "application/json"}


def _reply(status: int, body: Any) -> tuple[int, dict[str, str], str]:
    return status, dict(_JSON), json.dumps(body)


def _body(request: Any) -> dict[str, Any]:
    raw = request.data or b"{}"
    parsed = json.loads(raw)
    if not isinstance(parsed, dict):
        raise ValueError("the body must be a JSON object")
    return parsed


def config_endpoint(request: Any, _full_url: str, _headers: Any) -> tuple[int, dict[str, str], str]:
    """GET or POST the emulator settings."""
    if request.method == "GET":
        return _reply(200, current_config().to_json())
    if request.method != "POST":
        return _reply(405, {"error": "use GET or POST"})
    try:
        body = _body(request)
        baseline = bool(body.pop("baseline", False))
        return _reply(200, configure(baseline=baseline, **body).to_json())
    except (TypeError, ValueError) as error:
        return _reply(400, {"error": str(error)})


def faults_endpoint(request: Any, _full_url: str, _headers: Any) -> tuple[int, dict[str, str], str]:
    """GET what is armed, POST a fault to arm, DELETE to disarm all."""
    if request.method == "GET":
        return _reply(200, faults.armed())
    if request.method == "DELETE":
        faults.clear()
        return _reply(200, faults.armed())
    if request.method != "POST":
        return _reply(405, {"error": "use GET, POST or DELETE"})
    try:
        body = _body(request)
        name = body.pop("fault", None)
        if name not in _FAULTS:
            raise ValueError(f"fault: {name!r} is not one of {sorted(_FAULTS)}")
        _FAULTS[name](**body)
        return _reply(200, faults.armed())
    except (TypeError, ValueError) as error:
        return _reply(400, {"error": str(error)})


def identities_endpoint(request: Any, _full_url: str, _headers: Any) -> tuple[int, dict[str, str], str]:
    """GET the identities (no secrets), POST one to make or re-policy."""
    if request.method == "GET":
        return _reply(200, {name: {"arn": i.arn} for name, i in identities.known().items()})
    if request.method != "POST":
        return _reply(405, {"error": "use GET or POST"})
    try:
        body = _body(request)
        name, policy = body.get("name"), body.get("policy")
        if not isinstance(name, str) or not name.isidentifier() or not isinstance(policy, dict):
            raise ValueError('give {"name": "<identifier>", "policy": {<IAM policy document>}}')
        made = identities.define(name, policy)
    except (TypeError, ValueError) as error:
        return _reply(400, {"error": str(error)})
    except Exception as error:  # moto's policy validation (MalformedPolicyDocument) and the like
        return _reply(400, {"error": f"{type(error).__name__}: {error}"})
    for callback in identities_changed:
        callback()
    return _reply(200, {"name": made.name, "arn": made.arn})


def iam_endpoint(request: Any, _full_url: str, _headers: Any) -> tuple[int, dict[str, str], str]:
    """GET the IAM decisions counted so far, DELETE to forget them."""
    if request.method == "DELETE":
        decisions.clear()
    elif request.method != "GET":
        return _reply(405, {"error": "use GET or DELETE"})
    return _reply(200, decisions.to_json())
