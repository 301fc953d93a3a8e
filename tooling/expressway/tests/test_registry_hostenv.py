"""`expressway validate` refuses a service that sets a variable steering the host process (the local
cloud runs each task as a process of the developer's machine), naming the service, the variable and
why; an AWS environment's own override may set one, since it reaches only that environment's containers."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from expressway.cli import main
from expressway.console import Console
from expressway.testing import registry_text

ROOT = Path(__file__).resolve().parents[3]


def _validate(tmp_path: Path, changes: dict[str, Any]) -> tuple[int, str, str]:
    path = tmp_path / "services.toml"
    path.write_text(registry_text(changes))
    out, err = io.StringIO(), io.StringIO()
    code = main(["--registry", str(path), "validate"], Console(out, err))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("changes", "where", "why"),
    [
        (
            {"env": {"PYTHONWARNINGS": "error"}},
            "services.sensors.env.PYTHONWARNINGS",
            "PYTHONWARNINGS configures the host's Python interpreter",
        ),
        (
            {"env": {"BROWSER": "sh -c id"}},
            "services.sensors.env.BROWSER",
            "BROWSER names a command Python's webbrowser module runs",
        ),
        (
            {"secrets": {"LD_PRELOAD": "ssm:/homestack/sensors/preload"}},
            "services.sensors.secrets.LD_PRELOAD",
            "LD_PRELOAD configures the dynamic loader",
        ),
        (
            {"environments": {"local": {"env": {"PYTHONSTARTUP": "/tmp/x.py"}}}},
            "services.sensors.environments.local.env.PYTHONSTARTUP",
            "PYTHONSTARTUP configures the host's Python interpreter",
        ),
    ],
)
def test_validate_refuses_a_variable_that_changes_the_host(
    tmp_path: Path, changes: dict[str, Any], where: str, why: str
) -> None:
    code, out, err = _validate(tmp_path, {"services": {"sensors": changes}})

    assert code == 1
    assert out == ""
    assert (
        f"{where}: sensors may not set it: the local cloud runs the service as a process of this machine, "
        f"and {why}" in err
    )
    assert "Traceback" not in err


def test_an_aws_environments_override_may_set_one(tmp_path: Path) -> None:
    changes = {"services": {"sensors": {"environments": {"prod": {"env": {"PYTHONUNBUFFERED": "1"}}}}}}

    code, out, err = _validate(tmp_path, changes)

    assert code == 0, err
    assert "valid: 3 services" in out


def test_an_apps_own_variables_pass(tmp_path: Path) -> None:
    code, _, err = _validate(
        tmp_path, {"services": {"sensors": {"env": {"LDAP_URL": "ldap://x", "APP_MODE": "a"}}}}
    )
    assert code == 0, err


def test_the_repository_registry_still_validates() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--registry", str(ROOT / "services.toml"), "validate"], Console(out, err))
    assert code == 0, err
