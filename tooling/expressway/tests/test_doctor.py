"""`expressway doctor`: what a first deploy needs, checked one line each, exit 1 on any FAIL."""

from __future__ import annotations

import io
import json
from pathlib import Path

import boto3
import pytest
from moto.core.exceptions import AccessDeniedError
from moto.iam.responses import IamResponse

from expressway.cli import main
from expressway.console import Console
from expressway.testing import registry_text
from localcloud.emulation import configure


@pytest.fixture(autouse=True)
def simulator_denied(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto has no IAM policy simulator; answer as AWS does to a caller without
    iam:SimulatePrincipalPolicy (which the deployer policy does not grant)."""

    def simulate_principal_policy(self: IamResponse) -> str:
        raise AccessDeniedError("arn:aws:iam::123456789012:user/moto", "iam:SimulatePrincipalPolicy")

    monkeypatch.setattr(IamResponse, "simulate_principal_policy", simulate_principal_policy, raising=False)


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
    assert outcomes["permissions"] == "skip"  # the simulator is denied to this caller
    assert outcomes["permissions boundary"] == "ok"
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


BOUNDARY = "arn:aws:iam::123456789012:policy/expressway/homestack/prod/homestack-prod-boundary"


def test_a_missing_or_stale_boundary_fails_with_the_administrators_command(
    aws: None, registry_file: Path
) -> None:
    registry_file.write_text(registry_text({"tables": {"events": {"partition_key": "id"}}}))
    code, out, _ = _doctor(registry_file, "--env", "prod")
    assert code == 1
    assert "FAIL permissions boundary: the permissions boundary homestack-prod-boundary differs" in out
    assert f"aws iam create-policy-version --policy-arn {BOUNDARY}" in out

    boto3.client("iam").delete_policy(PolicyArn=BOUNDARY)
    code, out, _ = _doctor(registry_file, "--env", "prod")
    assert code == 1
    assert f"FAIL permissions boundary: the roles' permissions boundary {BOUNDARY} does not exist" in out
    assert (
        "aws iam create-policy --path /expressway/homestack/prod/ --policy-name homestack-prod-boundary"
        in out
    )


def test_a_deploy_without_the_boundary_stops_before_it_makes_a_role(aws: None, registry_file: Path) -> None:
    boto3.client("iam").delete_policy(PolicyArn=BOUNDARY)
    out, err = io.StringIO(), io.StringIO()
    argv = ["--registry", str(registry_file), "deploy", "sensors", "--env", "prod", "--image", "nginx:1"]
    code = main(argv, Console(out, err))
    assert code == 1
    assert f"error: deploy prod: the roles' permissions boundary {BOUNDARY} does not exist" in err.getvalue()
    assert "hint: expressway policy --env prod --boundary > boundary.json" in err.getvalue()
    roles = [r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"]]
    assert not [r for r in roles if r.startswith("homestack-prod")]


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


def subnets_in_default_vpc(zones: list[str], *, public: bool) -> list[str]:
    """New subnets of the default VPC in `zones`: public ones use the main route table (to the internet
    gateway), private ones a route table of their own with no internet gateway."""
    ec2 = boto3.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    table = None if public else ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    made = []
    for index, zone in enumerate(zones):
        cidr = f"172.31.{200 + index + (0 if public else 20)}.0/24"
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        if table:
            ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        made.append(subnet)
    return made


def _with_subnets(tmp_path: Path, subnets: list[str], access: str) -> Path:
    path = tmp_path / "services.toml"
    path.write_text(registry_text({"environments": {"prod": {"subnets": subnets, "access": access}}}))
    return path


def test_listed_private_subnets_for_public_access_fail_the_network_check(aws: None, tmp_path: Path) -> None:
    subnets = subnets_in_default_vpc(["eu-west-1a", "eu-west-1a"], public=False)

    code, out, _ = _doctor(_with_subnets(tmp_path, subnets, "public"), "--env", "prod")

    assert code == 1
    assert (
        f"FAIL network: environment subnets: {', '.join(sorted(subnets))} are private (no route to an "
        'internet gateway) but access is "public": Express would give them an internal ALB' in out
    )
    assert 'hint: list public subnets in `subnets = [...]`, or set `access = "private"`' in out


def test_listed_subnets_of_one_zone_fail_the_network_check(aws: None, tmp_path: Path) -> None:
    subnets = subnets_in_default_vpc(["eu-west-1a", "eu-west-1a"], public=True)

    code, out, _ = _doctor(_with_subnets(tmp_path, subnets, "public"), "--env", "prod")

    assert code == 1
    assert (
        "FAIL network: environment subnets: all 2 are in eu-west-1a; Express Mode needs subnets in at "
        "least 2 zones" in out
    )
    assert "hint: add a subnet of another zone of the same VPC to `subnets = [...]`" in out


def test_listed_subnets_of_the_right_access_in_two_zones_pass(aws: None, tmp_path: Path) -> None:
    subnets = subnets_in_default_vpc(["eu-west-1a", "eu-west-1b"], public=False)

    _, out, _ = _doctor(_with_subnets(tmp_path, subnets, "private"), "--env", "prod")

    assert "ok   network: " in out
    assert ": 2 private subnets in 2 zones (eu-west-1a, eu-west-1b)" in out
