"""One environment of the registry as it is in AWS, read-only: names, gateways, and what runs there.

`status`, `destroy`, `history` and `--changed` read through a Target; a deploy (deploy/deployer.py)
adds images, a prober and a version on top of one.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit

from expressway.aws.ec2 import Network, network, vpcs_of
from expressway.aws.ecs import Ecs
from expressway.aws.sts import Identity, identity
from expressway.errors import CredentialsError
from expressway.plan.arns import Arns
from expressway.plan.live import LiveService
from expressway.registry import Environment, Names, Registry
from expressway.registry.names import TAG_PROJECT


class Target:
    """Registry + environment name -> the names, the ECS gateway and each service's live state."""

    def __init__(self, registry: Registry, env: str) -> None:
        self.registry = registry
        self.env = env
        self.environment: Environment = registry.environment(env)
        self.names = Names.of(registry, env)
        self.ecs = Ecs(self.environment)
        self._lock = threading.Lock()
        self._identity: Identity | None = None
        self._network: Network | None = None
        self._in_cluster: list[LiveService] | None = None

    @property
    def local(self) -> bool:
        """True for an environment served by the local cloud (it has an `endpoint`)."""
        return self.environment.endpoint is not None

    def identity(self) -> Identity:
        """Who is calling, in which account (looked up once); a missing identity names the environment."""
        with self._lock:
            if self._identity is None:
                try:
                    self._identity = identity(self.environment)
                except CredentialsError as exc:
                    raise CredentialsError(
                        f"environment {self.env}: {exc.message}", hint=self._credentials_hint(exc.hint)
                    ) from exc
            return self._identity

    def _credentials_hint(self, hint: str | None) -> str | None:
        """The hint, plus the local environment to use when its local cloud is running."""
        running = [
            name
            for name, environment in self.registry.environments.items()
            if name != self.env and environment.endpoint and _answers(environment.endpoint)
        ]
        if not running:
            return hint
        more = f"the local cloud is running: pass `--env {running[0]}` to use it"
        return f"{more}; otherwise {hint}" if hint else more

    def network(self) -> Network:
        """The VPC and the one subnet list every service of the environment shares (looked up once)."""
        with self._lock:
            if self._network is None:
                self._network = network(self.environment)
            return self._network

    def arns(self) -> Arns:
        """ARNs in the caller's partition, account and the environment's region."""
        who = self.identity()
        return Arns(who.partition, self.environment.region, who.account)

    def arn(self, key: str) -> str:
        """The Express service ARN of registry service `key` (Express has no list call to find it)."""
        return self.arns().ecs_service(self.names.cluster, self.names.service(key))

    def observe(self, key: str, *, resources: bool = False) -> LiveService | None:
        """What runs for `key` now, or None when it was never deployed."""
        return self.ecs.describe(self.arn(key), resources=resources)

    def services_on_alb(self) -> int:
        """Express services on the shared ALBs this environment's services land on: every Express
        service of the region (any cluster, any project) in the same VPC with the same access type
        (public subnets give an internet-facing ALB, private ones an internal one; docs/aws-facts.md)."""
        vpc, public = self.network().vpc, self.environment.access == "public"
        services = self.ecs.express_services()
        where = vpcs_of(self.environment, sorted({s for service in services for s in service.subnets}))
        return sum(
            1
            for service in services
            if service.public == public and {where.get(s) for s in service.subnets} & {vpc}
        )

    def namesakes(self, key: str) -> list[LiveService]:
        """Services of other projects in this environment's cluster tagged with this environment and
        service key: what a shared cluster, or a renamed project, leaves there. They are never taken
        for ours (planned against, changed or deleted): tags are all that could tell, and another
        project's service carries the same ones but its project."""
        ours = self.names.tags(key)
        same = {k: v for k, v in ours.items() if k != TAG_PROJECT}
        return [
            other
            for other in self._cluster()
            if (other.tags or {}).get(TAG_PROJECT) != ours[TAG_PROJECT]
            and all((other.tags or {}).get(k) == v for k, v in same.items())
        ]

    def _cluster(self) -> list[LiveService]:
        """The cluster's Express services with their tags, listed once per run: a fleet deploy
        creating many services looks the cluster up once."""
        with self._lock:
            if self._in_cluster is None:
                self._in_cluster = self.ecs.in_cluster(self.names.cluster)
            return self._in_cluster


def _answers(endpoint: str) -> bool:
    """True when something listens at the endpoint's host and port (loopback only; 0.2 s at most)."""
    where = urlsplit(endpoint)
    if where.hostname not in ("127.0.0.1", "localhost", "::1"):
        return False
    try:
        with socket.create_connection((where.hostname, where.port or 80), timeout=0.2):
            return True
    except OSError:
        return False
