"""Test harness for code that runs against the emulation: one API for both modes, in process
(moto's mock_aws) or through a moto server, plus a checker for botocore output shapes.

    aws = EmulatedAws(endpoint=None)            # inside `with mock_aws():`
    aws = EmulatedAws(endpoint="http://127.0.0.1:PORT")   # against the server
    service = aws.create_service("sensors")     # roles created in moto IAM on first use
    check_shape("DescribeExpressGatewayService", aws.ecs.describe_express_gateway_service(...))
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
import httpx
from botocore.config import Config
from botocore.model import Shape

from expressway.aws import local_state
from expressway.plan.arns import Arns
from expressway.plan.policies import boundary_policy
from expressway.registry import Names, Registry

from .config import configure
from .faults import faults

if TYPE_CHECKING:  # the stubs are a dev dependency
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client
    from mypy_boto3_iam import IAMClient

REGION = "eu-west-1"


@functools.cache
def _managed_policy_data(names: tuple[str, ...]) -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    parsed: dict[str, Any] = json.loads(aws_managed_policies_data)
    return {name: parsed[name] for name in names}


def only_managed_policies(*arns: str) -> Callable[[Any], list[Any]]:
    """A stand-in for moto's IAMBackend._init_aws_policies that loads only these AWS-managed
    policies: loading all ~1,300 costs seconds per test, and a test needs the few a deploy attaches.

        monkeypatch.setattr(IAMBackend, "_init_aws_policies", only_managed_policies(arn, ...))
    """
    from moto.iam import models

    names = tuple(sorted({arn.rsplit("/", 1)[-1] for arn in arns}))

    def load(backend: Any) -> list[Any]:
        return [
            models.AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
            for name, data in _managed_policy_data(names).items()
        ]

    return load


def lean_moto(monkeypatch: Any, *managed_policy_arns: str) -> None:
    """The Express emulation installed into moto, which loads only these AWS-managed policies and no
    default AMIs (nothing here runs instances): what tests need, seconds faster per test."""
    from moto.iam.models import IAMBackend

    from . import install

    install()
    monkeypatch.setattr(IAMBackend, "_init_aws_policies", only_managed_policies(*managed_policy_arns))
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


def create_boundaries(registry: Registry, iam: Any = None) -> None:
    """What an administrator does once per environment before its first deploy: create the roles'
    permissions boundary, as `expressway policy --env ENV --boundary` prints it."""
    account = "123456789012" if iam is not None else boto3.client("sts").get_caller_identity()["Account"]
    iam = iam or boto3.client("iam")
    for env in registry.environments:
        arns = Arns("aws", registry.environment(env).region, account)
        names = Names.of(registry, env)
        iam.create_policy(
            PolicyName=names.boundary_policy,
            Path=names.role_path,
            PolicyDocument=json.dumps(boundary_policy(registry, env, arns)),
        )


def publish_state(endpoint: str, key: str = "testing", secret: str = "testing") -> Path:  # noqa: S107
    """Write the state file expressway reads for `endpoint`, as the local cloud's server does, for a
    moto server a test started itself (moto's own server accepts any key). Returns its path."""
    path = local_state.state_path(endpoint)
    arn = "arn:aws:iam::123456789012:user/developer"
    keys = {"access_key_id": key, "secret_access_key": secret, "arn": arn}
    local_state.write(path, local_state.LocalState(endpoint, os.getpid(), "", {"developer": keys}))
    return path


TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


class EmulatedAws:
    """The same test-facing API whether moto runs in this process or behind HTTP."""

    def __init__(
        self, endpoint: str | None = None, region: str = REGION, identity: str = "developer"
    ) -> None:
        self.endpoint = endpoint
        self.region = region
        self.mode = "in-process" if endpoint is None else "server"
        self._roles: tuple[str, str] | None = None
        self._clients: dict[str, Any] = {}
        # A server of the local cloud holds the session's keys and control token in its state file.
        self.state = (
            local_state.read(endpoint)
            if endpoint is not None and local_state.state_path(endpoint).exists()
            else None
        )
        self.keys = self.state.keys(identity) if self.state is not None else ("testing", "testing")

    @property
    def control(self) -> dict[str, str]:
        """The headers the control endpoints (/moto-api/) need."""
        token = self.state.control_token if self.state else ""
        return {"Authorization": f"Bearer {token}"} if token else {}

    def client(self, service: str) -> Any:
        # Clients are cached: building one costs more than most emulated calls.
        if service not in self._clients:
            self._clients[service] = self._new_client(service)
        return self._clients[service]

    def _new_client(self, service: str) -> Any:
        # One attempt: a fault the emulator injects must reach the test, not a silent retry.
        return _session().client(
            service,  # type: ignore[call-overload]
            region_name=self.region,
            endpoint_url=self.endpoint,
            aws_access_key_id=self.keys[0],
            aws_secret_access_key=self.keys[1],
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        )

    @property
    def ecs(self) -> ECSClient:
        client: ECSClient = self.client("ecs")
        return client

    @property
    def elbv2(self) -> ElasticLoadBalancingv2Client:
        client: ElasticLoadBalancingv2Client = self.client("elbv2")
        return client

    @property
    def ec2(self) -> EC2Client:
        client: EC2Client = self.client("ec2")
        return client

    @property
    def iam(self) -> IAMClient:
        client: IAMClient = self.client("iam")
        return client

    def configure(self, **settings: Any) -> None:
        """Change emulator settings: directly in process, through HTTP against the server."""
        if self.endpoint is None:
            configure(**settings)
        else:
            url = f"{self.endpoint}/moto-api/expressway/config"
            reply = httpx.post(url, json=settings, headers=self.control)
            assert reply.status_code == 200, reply.text

    def fault(self, name: str, **arguments: Any) -> None:
        """Arm a fault: directly in process, through HTTP against the server."""
        if self.endpoint is None:
            getattr(faults, name)(**arguments)
        else:
            reply = httpx.post(
                f"{self.endpoint}/moto-api/expressway/faults",
                json={"fault": name, **arguments},
                headers=self.control,
            )
            assert reply.status_code == 200, reply.text

    def roles(self) -> tuple[str, str]:
        """(infrastructure role ARN, execution role ARN), created once per test."""
        if self._roles is None:
            infra = self.iam.create_role(RoleName="ecsInfrastructureRole", AssumeRolePolicyDocument=TRUST)
            execution = self.iam.create_role(RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=TRUST)
            self._roles = (infra["Role"]["Arn"], execution["Role"]["Arn"])
        return self._roles

    def reset(self) -> None:
        """moto's reset (server mode; in process, mock_aws resets on start and stop)."""
        if self.endpoint is not None:
            httpx.post(f"{self.endpoint}/moto-api/reset", headers=self.control).raise_for_status()

    def current_deployment(self, arn: str) -> str:
        """The service's newest deployment (DescribeExpressGatewayService names it at once, where
        ListServiceDeployments may not list it yet); the describe counts as a read of it."""
        return str(self.ecs.describe_express_gateway_service(serviceArn=arn)["service"]["currentDeployment"])

    def settle(self, arn: str, reads: int = 10) -> str:
        """Describe the service until its newest deployment has finished; the final status."""
        deployment = self.current_deployment(arn)
        for _ in range(reads):
            found = self.ecs.describe_service_deployments(serviceDeploymentArns=[deployment])
            status = next((d["status"] for d in found["serviceDeployments"]), "MISSING")
            if status not in ("MISSING", "PENDING", "IN_PROGRESS"):
                return status
        raise AssertionError(f"the deployment of {arn} did not finish in {reads} reads: {status}")

    def statuses(self, arn: str, reads: int) -> list[str]:
        """What `reads` DescribeServiceDeployments of the newest deployment say ("MISSING" while the
        read does not see it yet), after the DescribeExpressGatewayService that names it."""
        deployment = self.current_deployment(arn)
        found = []
        for _ in range(reads):
            answer = self.ecs.describe_service_deployments(serviceDeploymentArns=[deployment])
            found.append(next((d["status"] for d in answer["serviceDeployments"]), "MISSING"))
        return found

    def create_service(self, name: str, **overrides: Any) -> dict[str, Any]:
        """CreateExpressGatewayService with a minimal valid request; returns the `service`."""
        infra, execution = self.roles()
        request: dict[str, Any] = {
            "serviceName": name,
            "infrastructureRoleArn": infra,
            "executionRoleArn": execution,
            "primaryContainer": {
                "image": f"public.ecr.aws/example/{name}:1",
                "containerPort": 8000,
            },
            "healthCheckPath": "/health",
            **overrides,
        }
        response = self.ecs.create_express_gateway_service(**request)
        check_shape("CreateExpressGatewayService", response)
        return dict(response["service"])


@functools.cache
def _session() -> boto3.session.Session:
    """One boto3 session for every harness: a new one re-reads each service model (~0.3 s for
    EC2), and mock_aws intercepts clients of any session created after moto's import."""
    return boto3.session.Session()


@functools.cache
def _ecs_model() -> Any:
    return botocore.session.get_session().get_service_model("ecs")


class ShapeError(AssertionError):
    pass


def check_value(value: Any, shape: Shape, path: str) -> None:
    """Assert `value` fits botocore's `shape`: known keys, required members, types, enums."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, Mapping):
            raise ShapeError(f"{path}: expected an object, got {value!r}")
        members = shape.members  # type: ignore[attr-defined]
        for required in shape.required_members:
            if required not in value:
                raise ShapeError(f"{path}: required member {required!r} is missing")
        for key, item in value.items():
            if key == "ResponseMetadata" and not path:
                continue
            if key not in members:
                raise ShapeError(f"{path}.{key}: not a member of {shape.name}")
            check_value(item, members[key], f"{path}.{key}")
    elif kind == "list":
        if not isinstance(value, list):
            raise ShapeError(f"{path}: expected a list, got {value!r}")
        for index, item in enumerate(value):
            check_value(item, shape.member, f"{path}[{index}]")  # type: ignore[attr-defined]
    elif kind == "map":
        if not isinstance(value, Mapping):
            raise ShapeError(f"{path}: expected a map, got {value!r}")
        for key, item in value.items():
            check_value(item, shape.value, f"{path}[{key}]")  # type: ignore[attr-defined]
    elif kind in _SCALARS and not _SCALARS[kind](value):
        raise ShapeError(f"{path}: {value!r} is not a valid {kind}")
    elif kind == "string" and getattr(shape, "enum", None) and value not in shape.enum:  # type: ignore[attr-defined]
        raise ShapeError(f"{path}: {value!r} is not one of {shape.enum}")  # type: ignore[attr-defined]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_SCALARS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "double": _number,
    "float": _number,
    "boolean": lambda v: isinstance(v, bool),
    "timestamp": lambda v: isinstance(v, datetime),
    "blob": lambda v: isinstance(v, bytes),
}


def check_shape(operation: str, response: Mapping[str, Any]) -> None:
    """Assert a response (or the emulator's raw result) fits the operation's output shape."""
    output = _ecs_model().operation_model(operation).output_shape
    assert output is not None
    check_value(response, output, "")
