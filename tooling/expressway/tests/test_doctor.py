"""`expressway doctor`: what a first deploy needs, checked one line each, exit 1 on any FAIL."""

from __future__ import annotations

import io
import json
from pathlib import Path

import boto3
import pytest

from expressway.cli import main
from expressway.console import Console
from localcloud.emulation import configure


def _doctor(registry: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--registry", str(registry), "doctor", *argv], Console(out, err))
    return code, out.getvalue(), err.getvalue()


def test_an_account_ready_for_a_first_deploy_passes(aws: None, registry_file: Path) -> None:
    code, out, _ = _doctor(registry_file, "--env", "prod", "--json")
    report = json.loads(out)
    outcomes = {check["name"]: check["outcome"] for check in report["checks"]}
    assert code == 0, out
    assert report["ok"] is True
    assert outcomes["credentials"] == outcomes["network"] == outcomes["secrets"] == "ok"
    assert outcomes["fargate quota"] == outcomes["shared alb"] == outcomes["express mode"] == "ok"
    assert outcomes["permissions"] in ("ok", "skip")  # moto has no IAM policy simulator
    creds = next(c for c in report["checks"] if c["name"] == "credentials")
    assert "partition aws" in creds["detail"]


def test_a_missing_secret_and_a_small_quota_fail_with_hints(aws: None, registry_file: Path) -> None:
    boto3.client("ssm").delete_parameter(Name="/homestack/ingest/api-key")
    configure(fargate_vcpus=6)

    code, out, _ = _doctor(registry_file, "--env", "prod")

    assert code == 1
    assert (
        "FAIL secrets: secret ingest.INGEST_API_KEY: SSM parameter /homestack/ingest/api-key does not exist"
        in out
    )
    assert "FAIL fargate quota: the fleet needs up to 14 vCPUs; the quota is 6" in out
    assert out.count("hint:") >= 2


def test_without_credentials_it_fails_naming_the_environment(
    registry_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance metadata lookup either

    code, out, _ = _doctor(registry_file, "--env", "prod")

    assert code == 1
    assert "FAIL credentials: environment prod: check AWS credentials: no AWS credentials found" in out
    assert "skip network: needs AWS credentials" in out
