"""The local cloud's shape: its runtime reaches AWS only through expressway's gateways (no boto3), and
its modules import each other in no circle."""

from __future__ import annotations

from pathlib import Path

import localcloud
from expressway.testing import import_cycles, import_graph

GRAPH = import_graph(Path(localcloud.__file__).parent, "localcloud")
SDKS = ("boto3", "botocore", "mypy_boto3_")


def test_the_runtime_calls_aws_only_through_expressways_gateways() -> None:
    offenders = {
        module: sorted(i for i in imported if i.startswith(SDKS))
        for module, imported in GRAPH.items()
        if not module.startswith("localcloud.emulation")
    }
    assert {m: found for m, found in offenders.items() if found} == {}
    assert any(i.startswith("expressway.aws") for i in GRAPH["localcloud.runtime.cloud"])


def test_only_the_emulations_test_harness_uses_boto3() -> None:
    users = sorted(m for m, imported in GRAPH.items() if any(i.startswith(SDKS) for i in imported))
    assert users == ["localcloud.emulation.testing"]


def test_no_local_cloud_modules_import_each_other_in_a_circle() -> None:
    assert import_cycles(GRAPH) == []
