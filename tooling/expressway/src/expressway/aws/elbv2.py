"""ELBv2: the shared ALB's listeners, host rules and targets (status counts rules; the local cloud reads
and writes targets the way Express and ECS do on AWS)."""

from __future__ import annotations

from typing import Any

from expressway.aws.session import client, run, wrapped
from expressway.registry import Environment

MANAGED_TAG = "AmazonECSManaged"


class Elbv2:
    """The ELBv2 calls expressway and the local cloud make, each wrapped with what it was doing."""

    def __init__(self, env: Environment) -> None:
        self.api = client(env, "elbv2")

    def load_balancers(self) -> list[dict[str, Any]]:
        """Every load balancer of the region (all pages)."""
        with wrapped("describe load balancers"):
            pages = self.api.get_paginator("describe_load_balancers").paginate()
            return [balancer for page in pages for balancer in page["LoadBalancers"]]

    def listeners(self, load_balancer_arn: str) -> list[dict[str, Any]]:
        found = run("describe listeners", self.api.describe_listeners, LoadBalancerArn=load_balancer_arn)
        items: list[dict[str, Any]] = found.get("Listeners", [])
        return items

    def rules(self, listener_arn: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = run(
            "describe rules", self.api.describe_rules, ListenerArn=listener_arn
        )["Rules"]
        return items

    def express_rules(self, load_balancer_arn: str) -> int:
        """Listener rules of Express endpoints on the ALB: one per Express service it routes. Rules
        people added themselves (a custom domain, a redirect) do not count: Express tags what it
        manages `AmazonECSManaged=true` (docs/aws-facts.md, section 3)."""
        arns = [
            rule["RuleArn"]
            for listener in self.listeners(load_balancer_arn)
            for rule in self.rules(listener["ListenerArn"])
            if not rule.get("IsDefault")
        ]
        managed = 0
        for start in range(0, len(arns), 20):  # DescribeTags takes at most 20 ARNs
            found = run("describe rule tags", self.api.describe_tags, ResourceArns=arns[start : start + 20])
            for description in found.get("TagDescriptions", []):
                tags = {t["Key"]: t.get("Value") for t in description.get("Tags", [])}
                managed += tags.get(MANAGED_TAG) == "true"
        return managed

    def target_health(self, group_arn: str) -> list[dict[str, Any]]:
        found = run("describe target health", self.api.describe_target_health, TargetGroupArn=group_arn)
        items: list[dict[str, Any]] = found["TargetHealthDescriptions"]
        return items

    def register(self, group_arn: str, address: str, port: int) -> None:
        run(
            f"register {address}:{port}",
            self.api.register_targets,
            TargetGroupArn=group_arn,
            Targets=[{"Id": address, "Port": port}],
        )

    def deregister(self, group_arn: str, address: str, port: int) -> None:
        run(
            f"deregister {address}:{port}",
            self.api.deregister_targets,
            TargetGroupArn=group_arn,
            Targets=[{"Id": address, "Port": port}],
        )
