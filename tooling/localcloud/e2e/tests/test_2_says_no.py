"""With `dev` running, the emulated endpoint says no like AWS: made-up credentials are refused (so the
attack of reading the ingest key and putting PYTHONWARNINGS into a service's environment fails at its
first call), no CORS preflight is answered, and only the session's keys (`expressway local-env`) work,
with the AWS CLI too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError

from expressway.aws import local_state

from .conftest import CLI, Cloud, session_state

MADE_UP = {
    "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}


def test_a_request_with_made_up_credentials_is_refused(cloud: Cloud) -> None:
    ssm = boto3.client("ssm", endpoint_url=cloud.endpoint, region_name="eu-west-1", **MADE_UP)  # type: ignore[call-overload]
    ecs = boto3.client("ecs", endpoint_url=cloud.endpoint, region_name="eu-west-1", **MADE_UP)  # type: ignore[call-overload]
    with pytest.raises(ClientError) as reading:
        ssm.get_parameter(Name="/homestack/ingest/api-key", WithDecryption=True)
    arn = "arn:aws:ecs:eu-west-1:123456789012:service/homestack-local/homestack-local-sensors"
    with pytest.raises(ClientError) as injecting:
        ecs.update_express_gateway_service(
            serviceArn=arn,
            primaryContainer={"image": "x", "containerPort": 8000,
                              "environment": [{"name": "PYTHONWARNINGS", "value": "ignore"}]},
        )  # fmt: skip
    assert reading.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert injecting.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_a_cors_preflight_from_another_origin_gets_no_allow_origin(cloud: Cloud) -> None:
    preflight = httpx.options(
        cloud.endpoint,
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "x-amz-target"},
    )  # fmt: skip
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers


def test_the_local_env_credentials_work_with_the_aws_cli(cloud: Cloud) -> None:
    local_env = f"{sys.executable} -c {CLI!r} --registry {cloud.registry} local-env"
    aws = f"{sys.executable} -m awscli"
    who_am_i, clusters = (
        f"{aws} sts get-caller-identity --output json",
        f"{aws} ecs list-clusters --output json",
    )
    script = f'eval "$({local_env})" && {who_am_i} && {clusters}'
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=120, check=False, env=cloud.env
    )
    assert done.returncode == 0, done.stderr
    decoder = json.JSONDecoder()
    who, end = decoder.raw_decode(done.stdout)
    listed, _ = decoder.raw_decode(done.stdout[end:].lstrip())
    assert who["Arn"] == "arn:aws:iam::123456789012:user/developer"
    assert listed["clusterArns"] == ["arn:aws:ecs:eu-west-1:123456789012:cluster/homestack-local"]


def test_the_session_state_is_readable_by_its_owner_only(cloud: Cloud) -> None:
    path = Path(cloud.env["EXPRESSWAY_STATE_DIR"]) / local_state.state_path(cloud.endpoint).name
    assert path.stat().st_mode & 0o077 == 0
    assert set(session_state(cloud)["identities"]) == {"developer", "runtime", "deployer"}
