"""ARNs of what expressway names, in the caller's partition (pure).

An ARN is `arn:<partition>:<service>:<region>:<account>:<resource>`; the partition is `aws`, `aws-cn`
(China) or `aws-us-gov` (GovCloud), and the caller's own ARN (STS GetCallerIdentity) names it
("Amazon Resource Names (ARNs)", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
IAM is global: its ARNs have no region. AWS managed policies live in the account named `aws`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# <account>.dkr.ecr.<region>.amazonaws.com/<repository>(@sha256:...|:tag)
_ECR = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repo>[a-z0-9][a-z0-9._/-]*?)(?:@(?P<digest>sha256:[0-9a-f]{64})|:(?P<tag>[\w.-]+))?"
)
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
INFRASTRUCTURE_MANAGED_POLICY = "service-role/AmazonECSInfrastructureRoleforExpressGatewayServices"
TASK_EXECUTION_MANAGED_POLICY = "service-role/AmazonECSTaskExecutionRolePolicy"
# Service-linked roles Express relies on: created if missing before the first deploy.
SERVICE_LINKED_ROLES = {
    "ecs.amazonaws.com": "AWSServiceRoleForECS",
    "elasticloadbalancing.amazonaws.com": "AWSServiceRoleForElasticLoadBalancing",
    "ecs.application-autoscaling.amazonaws.com": "AWSServiceRoleForApplicationAutoScaling_ECSService",
}


def parse_arn(arn: str) -> tuple[str, str, str, str, str] | None:
    """(partition, service, region, account, resource) of `arn`, or None when it is not an ARN."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2], parts[3], parts[4], parts[5]


def partition_of(arn: str) -> str:
    """The partition an ARN lives in (`aws` for anything that is not an ARN)."""
    parsed = parse_arn(arn)
    return parsed[0] if parsed else "aws"


@dataclass(frozen=True)
class Arns:
    """ARN builder for one partition, region and account."""

    partition: str
    region: str
    account: str

    def regional(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"

    def role(self, name: str, path: str = "/") -> str:
        """A role's ARN carries its IAM path: `role/<path><name>`."""
        return f"arn:{self.partition}:iam::{self.account}:role{path}{name}"

    def policy(self, name: str, path: str = "/") -> str:
        """A customer managed policy of this account."""
        return f"arn:{self.partition}:iam::{self.account}:policy{path}{name}"

    def managed_policy(self, path: str) -> str:
        """An AWS managed policy, e.g. `service-role/AmazonECSTaskExecutionRolePolicy`."""
        return f"arn:{self.partition}:iam::aws:policy/{path}"

    def table(self, name: str) -> str:
        return self.regional("dynamodb", f"table/{name}")

    def parameter(self, name: str) -> str:
        """An SSM parameter by its name (`/a/b`; the ARN drops the leading slash)."""
        return self.regional("ssm", f"parameter/{name.lstrip('/')}")

    def cluster(self, name: str) -> str:
        return self.regional("ecs", f"cluster/{name}")

    def ecs_service(self, cluster: str, name: str) -> str:
        return self.regional("ecs", f"service/{cluster}/{name}")

    def log_group(self, name: str) -> str:
        return self.regional("logs", f"log-group:{name}")

    def repository(self, name: str) -> str:
        return self.regional("ecr", f"repository/{name}")

    def secret_ref(self, ref: str) -> str:
        """A registry secret reference as an ECS `valueFrom`: `ssm:/a/b` -> the parameter's ARN;
        Secrets Manager and SSM ARNs pass through."""
        if ref.startswith("ssm:"):
            return self.parameter(ref.removeprefix("ssm:"))
        return ref


@dataclass(frozen=True)
class EcrImage:
    """An image reference in an ECR registry: `<account>.dkr.ecr.<region>.amazonaws.com/<repo>...`."""

    account: str
    region: str
    repository: str
    digest: str | None
    tag: str | None

    def repository_arn(self, partition: str) -> str:
        return f"arn:{partition}:ecr:{self.region}:{self.account}:repository/{self.repository}"


def parse_ecr(image: str) -> EcrImage | None:
    """The ECR parts of `image`, or None for an image elsewhere (Docker Hub, GHCR: not ours to keep)."""
    match = _ECR.fullmatch(image)
    if match is None:
        return None
    return EcrImage(match["account"], match["region"], match["repo"], match["digest"], match["tag"])
