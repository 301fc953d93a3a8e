"""HTTP control endpoints on the moto server: settings and faults for emulator clients in other
processes. moto routes every /moto-api/ path to its own app, so ours live under it:

    GET  /moto-api/expressway/config             -> the settings in force (JSON)
    POST /moto-api/expressway/config   {...}     -> change settings
                                                    ({"baseline": true}: kept over resets)
    GET  /moto-api/expressway/faults             -> what is armed
    POST /moto-api/expressway/faults   {"fault": "throttle", "times": 2, "operation": "..."}
    DELETE /moto-api/expressway/faults           -> disarm everything

POST /moto-api/reset (moto's own) restores the baseline settings and disarms every fault.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .config import configure, current_config
from .faults import faults

CONFIG_PATH = "/moto-api/expressway/config"
FAULTS_PATH = "/moto-api/expressway/faults"
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
