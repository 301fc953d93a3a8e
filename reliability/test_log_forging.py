"""A client cannot write log lines: in the text log format (what `expressway dev` runs the fleet with), a
request path carrying CR, LF, other control characters or an ANSI escape is written escaped, inside the
one access line of its request, by a real sensors process; the JSON format stays one object per line."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from harness.servers import uvicorn_app

from reliability.figures import Figures
from reliability.fleet import Fleet, service_env

# Each decodes to a path that, written raw, would end the line and start a record of the attacker's own.
FORGERIES = {
    "LF": "/sensors/x%0A12:00:00%20WARNING%20forged-lf%20admin%20logged%20in",
    "CR LF": "/sensors/x%0D%0A12:00:00%20ERROR%20%20%20forged-pair",
    "CR": "/sensors/x%0D12:00:00%20INFO%20%20%20%20forged-ret",
    "NEL (C1)": "/sensors/x%C2%8512:00:00%20INFO%20%20%20%20forged-nel",
    "line separator": "/sensors/x%E2%80%A812:00:00%20INFO%20%20%20%20forged-ls",
    "vertical tab and form feed": "/sensors/x%0B%0C12:00:00%20INFO%20forged-vt",
    "ANSI escape": "/sensors/x%1B[2K%1B[1G12:00:00%20INFO%20forged-ansi",
    "C1 CSI": "/sensors/x%C2%9B2K12:00:00%20INFO%20forged-csi",
    "NUL and DEL": "/sensors/x%00%7Fforged-nul",
}
RECORD_START = re.compile(r"^\d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL)\s")
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _written(log: Path, marker: str) -> str:
    """The log once a line holding `marker` is in it (the writer thread lingers a few ms per batch)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace")
        if marker in text:
            return text
        time.sleep(0.05)
    raise AssertionError(f"{marker!r} never reached the log")


@pytest.fixture(scope="module")
def text_sensors(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    log = tmp_path_factory.mktemp("forging") / "sensors-text.log"
    env = service_env(fleet.dynamodb, LOG_FORMAT="text", LOG_LEVEL="info")
    with uvicorn_app("homestack_sensors.app:app", env=env, log=log) as url:
        yield url, log


@pytest.mark.parametrize("path", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_path_with_control_characters_stays_inside_its_own_text_line(
    text_sensors: tuple[str, Path], path: str, figures: Figures
) -> None:
    url, log = text_sensors
    marker = path.rsplit("forged-", 1)[1].split("%")[0]
    with httpx.Client(base_url=url, timeout=10) as http:
        response = http.get(path)
    figures.count("cases tried")
    assert response.status_code == 404
    text = _written(log, f"forged-{marker}")
    lines = text.split("\n")
    holding = [line for line in lines if f"forged-{marker}" in line]
    assert len(holding) == 1, holding  # the whole path on one line...
    assert RECORD_START.match(holding[0]), holding[0]  # ...which is the request's own access line
    assert " 404" in holding[0]
    # No line anywhere starts with the forged time, and no raw control character reached the log.
    assert not [line for line in lines if line.startswith("12:00:00")]
    assert not CONTROL.search(text.replace("\n", "")), repr(CONTROL.findall(text.replace("\n", "")))


def test_the_json_format_keeps_a_hostile_path_inside_one_object(fleet: Fleet, tmp_path: Path) -> None:
    log = tmp_path / "sensors-json.log"
    env = service_env(fleet.dynamodb, LOG_FORMAT="json", LOG_LEVEL="info")
    with uvicorn_app("homestack_sensors.app:app", env=env, log=log) as url:
        httpx.get(url + FORGERIES["LF"], timeout=10)
        text = _written(log, "forged-lf")
    entries = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    [access] = [e for e in entries if "forged-lf" in e.get("path", "")]
    assert access["path"] == "/sensors/x\n12:00:00 WARNING forged-lf admin logged in"
    assert not [line for line in text.splitlines() if "forged" in line and not line.startswith("{")]
