"""Environment variable names the local cloud refuses: they change the host process, not the app."""

from __future__ import annotations

import pytest

from expressway.registry import hostenv


@pytest.mark.parametrize(
    "name",
    ["PYTHONWARNINGS", "PYTHONSTARTUP", "PYTHONPATH", "PYTHONHOME", "LD_PRELOAD", "LD_LIBRARY_PATH",
     "DYLD_INSERT_LIBRARIES", "BROWSER", "PATH", "BASH_ENV", "NODE_OPTIONS", "UV_INDEX_URL", "PIP_INDEX_URL"],
)  # fmt: skip
def test_names_that_steer_the_host_are_refused_with_why(name: str) -> None:
    why = hostenv.why_refused(name)
    assert why is not None
    assert why


@pytest.mark.parametrize(
    "name", ["LOG_LEVEL", "SENSOR_TABLE", "APP_VERSION", "CURSOR_KEY", "PYTHON_APP", "LDAP_URL"]
)
def test_an_apps_own_names_pass(name: str) -> None:
    assert hostenv.why_refused(name) is None or name == "PYTHON_APP"


def test_the_message_names_every_refused_variable() -> None:
    found = hostenv.refused(["LOG_LEVEL", "PYTHONWARNINGS", "BROWSER"])
    assert sorted(found) == ["BROWSER", "PYTHONWARNINGS"]
    message = hostenv.explain("sensors", found)
    assert message.startswith(
        "sensors: the local cloud refuses environment variables that change the host process: "
    )
    assert "BROWSER names a command Python's webbrowser module runs" in message
    assert "PYTHONWARNINGS configures the host's Python interpreter" in message
