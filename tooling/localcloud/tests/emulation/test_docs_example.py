"""The shared-ALB script in docs/emulation.md is real and does what the page says."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[4] / "docs" / "examples" / "shared_alb.py"


def test_the_docs_example_shows_three_services_on_one_shared_alb(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLE), run_name="__main__")  # in this process: moto is imported already
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "load balancers: 1"
    assert re.fullmatch(r"ecs-express-gateway-alb-[0-9a-f]{8} \(internet-facing\)", lines[1])
    assert lines[2] == "  listener HTTPS:443"
    hosts = [re.search(r"host (\S+) ->", line) for line in lines if "rule" in line]
    assert [h.group(1)[:3] for h in hosts if h] == ["se-", "in-", "da-"]
    assert len(hosts) == 3
    assert lines[-1] == "  default -> fixed response 404"
