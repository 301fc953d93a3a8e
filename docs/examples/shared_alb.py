"""Three Express Mode services form one shared ALB; read it back with plain boto3.

Run from the repository root: `uv run python docs/examples/shared_alb.py`. Everything happens
in process (moto's mock_aws plus the expressway emulation): no AWS account, no network.
"""

from __future__ import annotations

import json
import sys

import boto3
from moto import mock_aws

from localcloud.emulation import install

REGION = "eu-west-1"
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


def main() -> None:
    install()  # teach moto the Express Mode operations
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        ecs = boto3.client("ecs", region_name=REGION)
        elbv2 = boto3.client("elbv2", region_name=REGION)
        infra = iam.create_role(RoleName="ecsInfrastructureRole", AssumeRolePolicyDocument=TRUST)
        execution = iam.create_role(RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=TRUST)
        for name in ("sensors", "ingest", "dashboard"):
            ecs.create_express_gateway_service(
                serviceName=name,
                infrastructureRoleArn=infra["Role"]["Arn"],
                executionRoleArn=execution["Role"]["Arn"],
                primaryContainer={
                    "image": f"public.ecr.aws/example/{name}:1",
                    "containerPort": 8000,
                },
                healthCheckPath="/health",
                cpu="256",
                memory="512",
            )

        balancers = elbv2.describe_load_balancers()["LoadBalancers"]
        out = sys.stdout
        out.write(f"load balancers: {len(balancers)}\n")
        for balancer in balancers:
            out.write(f"{balancer['LoadBalancerName']} ({balancer['Scheme']})\n")
            [listener] = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
            out.write(f"  listener {listener['Protocol']}:{listener['Port']}\n")
            for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
                if rule["IsDefault"]:
                    status = rule["Actions"][0]["FixedResponseConfig"]["StatusCode"]
                    out.write(f"  default -> fixed response {status}\n")
                    continue
                host = rule["Conditions"][0]["HostHeaderConfig"]["Values"][0]
                groups = rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
                serving = next(g["TargetGroupArn"] for g in groups if g["Weight"] == 100)
                out.write(f"  rule {rule['Priority']}: host {host} -> {serving.split('/')[1]}\n")


if __name__ == "__main__":
    main()
