"""At the end of the session: every AWS call the deployer made (deploys, rollbacks, status, logs,
destroy) was allowed by `expressway policy` and nothing it tried was denied; then Ctrl-C stops
everything and leaves no process behind."""

from __future__ import annotations

import os
import signal
import socket
import time

import httpx
import pytest

from .conftest import ROOT, Cloud, alive, descendants, session_state


def test_every_call_the_deployer_made_was_one_its_policy_allows(cloud: Cloud, figures: list[str]) -> None:
    state = session_state(cloud)
    answer = httpx.get(f"{cloud.endpoint}/moto-api/expressway/iam",
                       headers={"Authorization": f"Bearer {state['control_token']}"})  # fmt: skip
    deployer = state["identities"]["deployer"]["arn"]
    decisions = [d for d in answer.json()["decisions"] if d["principal"] == deployer]
    # `doctor` asks IAM's policy simulator where the caller may use it, and says "skip" where not; the
    # deployer policy does not grant it (it would read any principal's policies).
    probes = {"iam:SimulatePrincipalPolicy"}
    denied = [d for d in decisions if d["decision"] != "allow" and d["action"] not in probes]
    assert denied == []
    used = sorted({d["action"] for d in decisions})
    assert len(used) > 25
    report = ROOT / "test-output" / "localcloud-deployer-actions.txt"
    report.parent.mkdir(exist_ok=True)
    report.write_text("".join(f"{d['action']} {d['count']}\n" for d in decisions))
    calls = sum(d["count"] for d in decisions)
    figures.append(
        f"the deployer made {calls} calls of {len(used)} actions, all allowed (listed in {report})"
    )


def test_stopping_leaves_no_process_behind(cloud: Cloud) -> None:
    members = descendants(cloud.process.pid) | cloud.members
    assert len(members) >= 8  # emulator, two tasks of each service, simulator

    os.killpg(cloud.process.pid, signal.SIGINT)  # what Ctrl-C in its terminal does
    code = cloud.process.wait(timeout=90)

    assert code == 0, cloud.output()[-3000:]
    assert "dev: stopped; no process left behind" in cloud.output()
    assert "Traceback" not in cloud.output()
    time.sleep(0.5)
    assert [pid for pid in members | descendants(cloud.process.pid) if alive(pid)] == []
    for port in (cloud.port, cloud.aws_port):  # nothing listens there any more
        with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
