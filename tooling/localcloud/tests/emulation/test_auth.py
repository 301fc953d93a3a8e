"""The emulator server says no like AWS: unknown keys, bad signatures and unsigned requests get AWS's
error codes, IAM policies are evaluated (with iam:PassRole and tag-on-create), no CORS, the control
endpoints need the session's token, and the session's keys sit in an owner-only state file."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError

from expressway.aws import local_state
from localcloud.emulation.testing import TRUST, EmulatedAws

REGION = "eu-west-1"
ROLES = "arn:aws:iam::123456789012:role/homestack-local-*"


def start(*extra: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud.server", "--port", "0", *extra],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false", "MOTO_IAM_LOAD_MANAGED_POLICIES": "false"},
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
    assert found, f"the server did not start: {line!r}"
    return process, found.group(1)


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=10)
    assert process.stderr is not None
    process.stderr.close()


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    process, url = start()
    yield url
    stop(process)


@pytest.fixture
def aws(endpoint: str) -> EmulatedAws:
    emulated = EmulatedAws(endpoint)
    emulated.reset()
    return emulated


def client(endpoint: str, service: str, key: str, secret: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )


def code(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return str(error.value.response["Error"]["Code"]), int(
        error.value.response["ResponseMetadata"]["HTTPStatusCode"]
    )


def identity(aws: EmulatedAws, name: str, *statements: dict[str, Any]) -> tuple[str, str]:
    """A caller with exactly these statements, made through the control endpoint."""
    assert aws.endpoint is not None
    policy = {"Version": "2012-10-17", "Statement": list(statements)}
    url = f"{aws.endpoint}/moto-api/expressway/identities"
    reply = httpx.post(url, json={"name": name, "policy": policy}, headers=aws.control)
    assert reply.status_code == 200, reply.text
    return local_state.read(aws.endpoint).keys(name)


@pytest.mark.parametrize(
    ("service", "call", "expected"),
    [
        ("ecs", lambda c: c.list_clusters(), ("UnrecognizedClientException", 400)),
        ("ssm", lambda c: c.get_parameter(Name="/homestack/key"), ("UnrecognizedClientException", 400)),
        ("sts", lambda c: c.get_caller_identity(), ("InvalidClientTokenId", 403)),
        ("iam", lambda c: c.list_roles(), ("InvalidClientTokenId", 403)),
        ("ec2", lambda c: c.describe_vpcs(), ("AuthFailure", 401)),
    ],
)  # fmt: skip
def test_made_up_credentials_are_refused_with_the_services_own_error(
    endpoint: str, service: str, call: Any, expected: tuple[str, int]
) -> None:
    with pytest.raises(ClientError) as error:
        call(client(endpoint, service, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
    assert code(error) == expected


def test_a_known_key_with_a_wrong_secret_is_a_signature_mismatch(aws: EmulatedAws) -> None:
    assert aws.endpoint is not None
    with pytest.raises(ClientError) as ecs:
        client(aws.endpoint, "ecs", aws.keys[0], "not-the-secret").list_clusters()
    with pytest.raises(ClientError) as sts:
        client(aws.endpoint, "sts", aws.keys[0], "not-the-secret").get_caller_identity()
    assert code(ecs) == ("InvalidSignatureException", 400)
    assert code(sts) == ("SignatureDoesNotMatch", 403)


def test_an_unsigned_request_is_missing_its_authentication_token(endpoint: str) -> None:
    target = "AmazonEC2ContainerServiceV20141113.ListClusters"
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
    ecs = httpx.post(endpoint, content="{}", headers=headers)
    sts = httpx.post(endpoint, data={"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    assert (ecs.status_code, ecs.json()["__type"]) == (400, "MissingAuthenticationTokenException")
    assert sts.status_code == 403
    assert "<Code>MissingAuthenticationToken</Code>" in sts.text


def test_no_cors_preflight_is_answered_and_no_answer_allows_another_origin(aws: EmulatedAws) -> None:
    assert aws.endpoint is not None
    preflight = httpx.options(
        aws.endpoint, headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 403
    assert not [h for h in preflight.headers if h.lower().startswith("access-control-")]
    answer = httpx.post(
        aws.endpoint, headers={"Origin": "http://evil.example"}, data={"Action": "GetCallerIdentity"}
    )
    assert "access-control-allow-origin" not in answer.headers


def test_the_control_endpoints_need_the_sessions_token(aws: EmulatedAws) -> None:
    assert aws.endpoint is not None
    control = [
        ("POST", "/moto-api/reset"),
        ("GET", "/moto-api/data.json"),
        ("POST", "/moto-api/reset-auth"),
        ("GET", "/moto-api/expressway/config"),
    ]
    for method, path in control:
        assert httpx.request(method, aws.endpoint + path, content=b"0").status_code == 403, path
    wrong = {"Authorization": "Bearer not-the-token"}
    assert httpx.get(aws.endpoint + "/moto-api/expressway/config", headers=wrong).status_code == 403
    assert httpx.get(aws.endpoint + "/moto-api/expressway/config", headers=aws.control).status_code == 200


def test_the_session_state_is_private_and_goes_when_the_server_stops() -> None:
    process, url = start()
    path = local_state.state_path(url)
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        state = json.loads(path.read_text())
        assert set(state["identities"]) == {"developer", "runtime"}
        assert state["pid"] == process.pid
    finally:
        stop(process)
    assert not path.exists()


def test_an_identity_may_do_what_its_policy_allows_and_nothing_else(aws: EmulatedAws) -> None:
    assert aws.endpoint is not None
    table = "arn:aws:dynamodb:eu-west-1:123456789012:table/homestack-local-readings"
    aws.client("dynamodb").create_table(
        TableName="homestack-local-readings",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
    )
    key = identity(aws, "reader", {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": table})
    dynamodb = client(aws.endpoint, "dynamodb", *key)
    assert "Item" not in dynamodb.get_item(TableName="homestack-local-readings", Key={"k": {"S": "x"}})
    with pytest.raises(ClientError) as put:
        dynamodb.put_item(TableName="homestack-local-readings", Item={"k": {"S": "x"}})
    assert code(put) == ("AccessDeniedException", 400)
    assert put.value.response["Error"]["Message"] == (
        "User: arn:aws:iam::123456789012:user/reader is not authorized to perform: dynamodb:PutItem on "
        f"resource: {table} because no identity-based policy allows the dynamodb:PutItem action"
    )
    with pytest.raises(ClientError) as iam:
        client(aws.endpoint, "iam", *key).list_roles()
    assert code(iam) == ("AccessDenied", 403)
    decisions = httpx.get(f"{aws.endpoint}/moto-api/expressway/iam", headers=aws.control).json()["decisions"]
    mine = {(d["action"], d["decision"]) for d in decisions if d["principal"].endswith(":user/reader")}
    assert mine == {
        ("dynamodb:GetItem", "allow"),
        ("dynamodb:PutItem", "implicit_deny"),
        ("iam:ListRoles", "implicit_deny"),
    }


def allowing(action: str, resource: str, equals: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, "Condition": {"StringEquals": equals}}


def _express_request(aws: EmulatedAws) -> dict[str, Any]:
    infra = aws.iam.create_role(RoleName="homestack-local-infrastructure", AssumeRolePolicyDocument=TRUST)
    execution = aws.iam.create_role(
        RoleName="homestack-local-sensors-execution", AssumeRolePolicyDocument=TRUST
    )
    return {
        "serviceName": "homestack-local-sensors",
        "infrastructureRoleArn": infra["Role"]["Arn"],
        "executionRoleArn": execution["Role"]["Arn"],
        "primaryContainer": {"image": "public.ecr.aws/example/sensors:1", "containerPort": 8000},
        "tags": [{"key": "expressway:project", "value": "homestack"}],
    }


def test_creating_an_express_service_needs_pass_role_to_ecs_and_tag_on_create(aws: EmulatedAws) -> None:
    assert aws.endpoint is not None
    request = _express_request(aws)
    service = "arn:aws:ecs:eu-west-1:123456789012:service/default/homestack-local-*"
    create = {"Effect": "Allow", "Action": "ecs:CreateExpressGatewayService", "Resource": service}
    tag = allowing("ecs:TagResource", service, {"ecs:CreateAction": "CreateExpressGatewayService"})
    wrong_service = allowing("iam:PassRole", ROLES, {"iam:PassedToService": "lambda.amazonaws.com"})
    to_ecs = ["ecs.amazonaws.com", "ecs-tasks.amazonaws.com"]
    passing = allowing("iam:PassRole", ROLES, {"iam:PassedToService": to_ecs})
    attempts: list[tuple[list[dict[str, Any]], str]] = [
        ([create, tag], "iam:PassRole"),
        ([create, tag, wrong_service], "iam:PassRole"),
        ([create, passing], "ecs:TagResource"),
    ]
    for statements, missing in attempts:
        ecs = client(aws.endpoint, "ecs", *identity(aws, "deployer", *statements))
        with pytest.raises(ClientError) as denied:
            ecs.create_express_gateway_service(**request)
        assert code(denied) == ("AccessDeniedException", 400)
        assert f"perform: {missing} on resource" in denied.value.response["Error"]["Message"]
    ecs = client(aws.endpoint, "ecs", *identity(aws, "deployer", create, tag, passing))
    assert ecs.create_express_gateway_service(**request)["service"]["status"]["statusCode"] == "ACTIVE"


def test_without_auth_any_key_works_as_in_plain_moto() -> None:
    process, url = start("--no-auth")
    try:
        sts = client(url, "sts", "AKIAIOSFODNN7EXAMPLE", "anything")
        assert sts.get_caller_identity()["Account"] == "123456789012"
        assert httpx.get(f"{url}/moto-api/expressway/config").status_code == 200
    finally:
        stop(process)


def test_keys_stay_valid_across_a_reset(aws: EmulatedAws) -> None:
    assert aws.endpoint is not None
    aws.reset()
    assert aws.client("sts").get_caller_identity()["Arn"].endswith(":user/developer")
    assert Path(local_state.state_path(aws.endpoint)).exists()
