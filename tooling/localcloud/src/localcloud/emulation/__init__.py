"""ECS Express Mode emulation for moto 5.2.5: the four Express operations, service deployments
and revisions, and the shared ALB built from real moto objects.

Public API (docs/emulation.md has the details)::

    from localcloud.emulation import install, EmulatorConfig, configure, faults

    install()                      # idempotent; before mock_aws() or the moto server
    configure(deployment_seconds=2, local_port=8080)   # until moto's next reset
    faults.throttle(times=2, operation="CreateExpressGatewayService")
    faults.fail_next_deployment("sensors")
    faults.iam_propagation(calls=1)
    faults.delay_provisioning(5.0)
"""

from __future__ import annotations

from .config import EmulatorConfig, configure, current_config
from .control import CONFIG_PATH, FAULTS_PATH
from .faults import Faults, faults
from .hooks import MOTO_VERSION, install, installed

__all__ = [
    "CONFIG_PATH",
    "FAULTS_PATH",
    "MOTO_VERSION",
    "EmulatorConfig",
    "Faults",
    "configure",
    "current_config",
    "faults",
    "install",
    "installed",
]
