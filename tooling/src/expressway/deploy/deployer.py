"""Runs deploys: observe -> plan -> ensure -> create/update -> wait -> verify, in DESIGN.md's order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from expressway.aws.ec2 import Network, network
from expressway.aws.ecs import Ecs, is_propagation_error
from expressway.aws.logs import Logs
from expressway.aws.sts import identity
from expressway.deploy import capacity
from expressway.deploy import prerequisites as support
from expressway.deploy.waiting import FAILED, Clock, Deadline, Prober, wait_for_deployment
from expressway.errors import AwsError, DeployError
from expressway.images.source import ImageSource
from expressway.plan.desired import Facts, Spec, service_url, spec, update_request
from expressway.plan.steps import Plan, Step, active_configuration, plan_service
from expressway.registry import Registry
from expressway.registry.names import TAG_PROJECT, Names
from expressway.registry.refs import dependencies, deploy_order


@dataclass
class Options:
    """How a deploy waits and what it may do; defaults suit real AWS."""

    timeout: float = 1800.0
    poll: float = 5.0
    verify: bool = True
    verify_timeout: float = 300.0
    allow_new_alb: bool = False
    alb_places: int = capacity.PER_ALB
    propagation_timeout: float = 300.0
    clock: Clock = field(default_factory=Clock)


@dataclass(frozen=True)
class Outcome:
    service: str
    action: str
    url: str | None
    deployment: str | None = None


class Deployer:
    """Plans and deploys registry services into one environment."""

    def __init__(
        self,
        registry: Registry,
        env: str,
        images: ImageSource,
        prober: Prober,
        version: str,
        say: Callable[[str], None],
        options: Options | None = None,
    ) -> None:
        self.registry, self.env, self.images, self.prober = registry, env, images, prober
        self.version, self.say, self.options = version, say, options or Options()
        self.environment = registry.environment(env)
        self.names = Names.of(registry, env)
        self.ecs = Ecs(self.environment)
        self._facts: Facts | None = None
        self._network: Network | None = None
        self._urls: dict[str, str] = {}
        self._shared = threading.Lock()
        self._shared_done = False
        self._tagged: list[dict[str, Any]] | None = None
        self._placed: int | None = None

    def facts(self) -> Facts:
        """Account, region and the one subnet list, looked up once per run."""
        if self._facts is None:
            who = identity(self.environment)
            self._network = network(self.environment)
            self._facts = Facts(who.account, self.environment.region, self._network.subnets, self.version)
            self.say(f"account {who.account}, {self.environment.region}, {self._network.vpc}")
        return self._facts

    def arn(self, key: str) -> str:
        facts = self.facts()
        where = f"{facts.region}:{facts.account}"
        return f"arn:aws:ecs:{where}:service/{self.names.cluster}/{self.names.service(key)}"

    def observe(self, key: str) -> dict[str, Any] | None:
        return self.ecs.describe(self.arn(key))

    def observe_for_change(self, key: str) -> dict[str, Any] | None:
        """The service, or one that expressway created for `key` under another name (a rename)."""
        found = self.observe(key)
        if found is not None:
            return found
        tags = self.names.tags(key)
        same = {k: v for k, v in tags.items() if k != TAG_PROJECT}
        with self._shared:
            # One listing per run: a fleet deploy creating many services looks the cluster up once.
            if self._tagged is None:
                self._tagged = self.ecs.tagged(self.names.cluster, {})
        for other in self._tagged:
            have = {t["key"]: t["value"] for t in other.get("tags") or []}
            if all(have.get(k) == v for k, v in same.items()):
                return other
        return None

    def url_of(self, observed: dict[str, Any] | None) -> str | None:
        for path in active_configuration(observed or {}).get("ingressPaths") or []:
            if path.get("endpoint"):
                return service_url(path["endpoint"], local=self.environment.endpoint is not None)
        return None

    def _dependency_urls(self, key: str) -> dict[str, str]:
        for dep in sorted(dependencies(self.registry, key) - set(self._urls)):
            found = self.url_of(self.observe(dep))
            if found:
                self._urls[dep] = found
        return dict(self._urls)

    def spec_for(self, key: str, observed: dict[str, Any] | None, *, planning: bool) -> Spec:
        if planning:
            running = (active_configuration(observed or {}).get("primaryContainer") or {}).get("image")
            image = self.images.planned(key) or running or "<image built at deploy>"
        else:
            image = self.images.image(key)
        urls = self._dependency_urls(key)
        return spec(self.registry, self.env, key, self.facts(), image, urls, placeholders=planning)

    def plan(self, keys: list[str]) -> Plan:
        """What deploying `keys` would do, without changing anything."""
        steps = []
        for key in deploy_order(self.registry, keys):
            observed = self.observe_for_change(key)
            steps.append(plan_service(key, self.spec_for(key, observed, planning=True).request, observed))
        return Plan(self.env, tuple(steps))

    def deploy_all(self, keys: list[str], parallel: int = 25) -> list[Outcome]:
        """Deploy `keys`: each wave of independent services in parallel, waves in dependency order."""
        self.facts()
        waves: list[list[str]] = []
        placed: dict[str, int] = {}
        for key in deploy_order(self.registry, keys):
            level = 1 + max((placed[d] for d in dependencies(self.registry, key) if d in placed), default=-1)
            placed[key] = level
            if level == len(waves):
                waves.append([])
            waves[level].append(key)
        outcomes: list[Outcome] = []
        for wave in waves:
            with ThreadPoolExecutor(max_workers=min(parallel, len(wave))) as pool:
                outcomes += list(pool.map(self.deploy, wave))
        return outcomes

    def deploy(self, key: str) -> Outcome:
        """Deploy one service and return where it serves; DeployError when it does not."""
        observed = self.observe_for_change(key)
        desired = self.spec_for(key, observed, planning=False)
        step = plan_service(key, desired.request, observed)
        if step.action == "blocked":
            raise DeployError(f"deploy {key}: {step.reason}", hint=step.hint)
        if step.action == "no-change":
            assert observed is not None
            deployment = self._settle(key, observed.get("currentDeployment"), observed)
            url = self._verify(key, observed)
            self.say(f"{key}: up to date ({url})")
            return Outcome(key, "no-change", url, deployment)
        if step.action == "create":
            self._check_capacity(key)
        self._ensure_shared()
        support.ensure_service(self.registry, self.env, desired, lambda m: self.say(f"{key}: {m}"))
        previous = (observed or {}).get("currentDeployment")
        started = datetime.now(UTC) - timedelta(seconds=5)
        service = self._apply(key, step, desired)
        arn = self._find_deployment(key, service, previous, started)
        self._settle(key, arn, service)
        url = self._verify(key, self.observe(key))
        self.say(f"{key}: deployed {self.version[:12]} -> {url}")
        return Outcome(key, step.action, url, arn)

    def _ensure_shared(self) -> None:
        with self._shared:
            if not self._shared_done:
                support.ensure_shared(self.registry, self.env, self.say)
                self._shared_done = True

    def _check_capacity(self, key: str) -> None:
        """Refuse a create that would open another ALB; parallel creates of one run count each other."""
        facts = self.facts()
        places = self.options.alb_places
        with self._shared:
            if self._placed is None:
                self._placed = capacity.count(self.environment, facts.subnets).used
            used = capacity.Capacity(self._placed)
            if used.full(places) and not self.options.allow_new_alb:
                vpc = self._network.vpc if self._network else "the VPC"
                capacity.refuse_spill(key, self.environment, used, len(facts.subnets), vpc)
            self._placed += 1
        if used.used >= places * 4 // 5:
            self.say(f"{key}: {used.used % places or places} of {places} places on the shared ALB are used")

    def _apply(self, key: str, step: Step, desired: Spec) -> dict[str, Any]:
        """Create or update, retrying while IAM has not yet propagated freshly created roles."""
        deadline = Deadline(self.options.propagation_timeout, self.options.clock)
        self.say(f"{key}: {'creating' if step.action == 'create' else 'updating'} {desired.name}")
        for change in step.changes if step.action == "update" else ():
            self.say(f"{key}:   ~ {change.field}")
        while True:
            try:
                if step.action == "create":
                    return self.ecs.create(desired.request)
                return self.ecs.update(update_request(desired.request, step.arn or self.arn(key)))
            except AwsError as exc:
                if not is_propagation_error(exc) or deadline.passed:
                    raise
                self.say(f"{key}: roles not usable yet (IAM propagation), retrying")
                self.options.clock.sleep(min(self.options.poll * 2, 10.0))

    def _find_deployment(
        self, key: str, service: dict[str, Any], previous: str | None, started: datetime
    ) -> str:
        """The deployment this call started: a new currentDeployment, else the newest listed after t0."""
        deadline = Deadline(min(self.options.timeout, 300.0), self.options.clock)
        current = service.get("currentDeployment")
        while True:
            if current and current != previous:
                return str(current)
            listed = self.ecs.deployments(self.names.cluster, self.arn(key), started)
            fresh = [d["serviceDeploymentArn"] for d in listed if d.get("serviceDeploymentArn") != previous]
            if fresh:
                return str(fresh[0])
            if deadline.passed:
                raise DeployError(
                    f"deploy {key}: ECS reported no deployment for this change",
                    hint="run `expressway status`; deploying again resumes from here",
                )
            self.options.clock.sleep(self.options.poll)
            current = (self.observe(key) or {}).get("currentDeployment")

    def _settle(self, key: str, arn: str | None, service: dict[str, Any]) -> str | None:
        """Wait for deployment `arn` to finish; fail with its reason and the last log lines."""
        if not arn:
            return None
        found = wait_for_deployment(
            lambda: self.ecs.deployment(arn),
            lambda status: self.say(f"{key}: deployment {status}"),
            timeout=self.options.timeout,
            poll=self.options.poll,
            clock=self.options.clock,
        )
        status = found.get("status")
        if status in FAILED:
            reason = found.get("statusReason") or "no reason given"
            alarms = (found.get("alarms") or {}).get("triggeredAlarmNames") or []
            why = f"deployment {status}: {reason}" + (f" (alarms: {', '.join(alarms)})" if alarms else "")
            config = active_configuration(service)
            group = ((config.get("primaryContainer") or {}).get("awsLogsConfiguration") or {}).get("logGroup")
            lines = Logs(self.environment).tail(group or self.names.log_group(key))
            tail = "".join(f"\n    {line}" for line in lines) or "\n    (no log lines)"
            raise DeployError(
                f"deploy {key}: {why}\n  last log lines:{tail}",
                hint="fix the cause and deploy again; the service keeps serving its previous revision",
            )
        return arn

    def _verify(self, key: str, observed: dict[str, Any] | None) -> str:
        url = self.url_of(observed)
        if url is None:
            raise DeployError(
                f"deploy {key}: the service reports no endpoint", hint="run `expressway status`"
            )
        if not self.options.verify:
            self.say(
                f"{key}: health check SKIPPED (--no-verify): not checked that {url} serves {self.version}"
            )
            return url
        health = active_configuration(observed or {}).get("healthCheckPath") or "/health"
        answer = self.prober.verify(f"{url}{health}", self.version, self.options.verify_timeout)
        self.say(f"{key}: {url}{health} answered {answer}")
        return url
