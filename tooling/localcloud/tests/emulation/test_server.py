"""`python -m localcloud.server` as its own process, driven by the AWS CLI and plain HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from localcloud import server
from localcloud.emulation.testing import EmulatedAws

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """The emulator server in a child process on a free loopback port."""
    env = {**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud.server", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    try:
        line = process.stderr.readline()
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert found, f"the server did not start: {line!r}"
        yield found.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


def _aws(endpoint: str, *args: str) -> Any:
    """Run the AWS CLI (PyPI awscli, with its own botocore) against the emulator, with the session's
    developer key from the server's state file."""
    key, secret = EmulatedAws(endpoint).keys
    env = {**os.environ, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}
    for stale in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE"):
        env.pop(stale, None)  # a token sent with an IAM user's key is refused, as by AWS
    command = [
        sys.executable,
        "-m",
        "awscli",
        *args,
        "--endpoint-url",
        endpoint,
        "--region",
        REGION,
    ]
    done = subprocess.run(
        [*command, "--output", "json"], capture_output=True, text=True, timeout=60, check=False, env=env
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_the_aws_cli_creates_and_describes_an_express_service(endpoint: str) -> None:
    aws = EmulatedAws(endpoint)
    aws.reset()
    roles = aws.roles()  # through boto3: each AWS CLI run costs a Python start-up
    created = _aws(
        endpoint,
        "ecs",
        "create-express-gateway-service",
        "--service-name",
        "sensors",
        "--infrastructure-role-arn",
        roles[0],
        "--execution-role-arn",
        roles[1],
        "--primary-container",
        "image=public.ecr.aws/example/sensors:1,containerPort=8000",
        "--health-check-path",
        "/health",
        "--cpu",
        "1024",
        "--memory",
        "2048",
    )["service"]
    assert created["status"]["statusCode"] == "ACTIVE"
    described = _aws(
        endpoint,
        "ecs",
        "describe-express-gateway-service",
        "--service-arn",
        created["serviceArn"],
        "--include",
        "TAGS",
    )["service"]
    [config] = described["activeConfigurations"]
    assert (config["cpu"], config["memory"], config["healthCheckPath"]) == (
        "1024",
        "2048",
        "/health",
    )
    assert config["primaryContainer"]["containerPort"] == 8000
    assert re.fullmatch(r"se-[0-9a-f]{32}\.ecs\.eu-west-1\.on\.aws", config["ingressPaths"][0]["endpoint"])
    balancers = aws.elbv2.describe_load_balancers()["LoadBalancers"]
    assert [lb["LoadBalancerName"][:24] for lb in balancers] == ["ecs-express-gateway-alb-"]


def test_settings_and_faults_are_reachable_over_http_and_reset_by_moto(endpoint: str) -> None:
    config_url = f"{endpoint}/moto-api/expressway/config"
    faults_url = f"{endpoint}/moto-api/expressway/faults"
    web = httpx.Client(headers=EmulatedAws(endpoint).control)
    assert web.post(config_url, json={"local_port": 8080}).json()["local_port"] == 8080
    assert web.post(config_url, json={"settle_reads": -1}).status_code == 400
    assert web.post(config_url, json={"nonsense": 1}).status_code == 400
    armed = web.post(faults_url, json={"fault": "throttle", "times": 2}).json()
    assert armed["throttle"] == [{"operation": None, "times": 2}]
    assert web.post(faults_url, json={"fault": "explode"}).status_code == 400
    web.post(f"{endpoint}/moto-api/reset").raise_for_status()
    assert web.get(config_url).json()["local_port"] is None
    assert web.get(faults_url).json()["throttle"] == []


def test_the_server_refuses_to_listen_beyond_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    assert server.main(["--port", "0", "--host", "0.0.0.0"]) == 1
    assert "only binds loopback" in capsys.readouterr().err


def test_the_server_holds_the_aws_managed_policies_every_account_has(endpoint: str) -> None:
    iam = EmulatedAws(endpoint).iam
    arn = "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == arn.rsplit("/", 1)[1]
