"""Deploying one service: observe -> desired spec -> plan step -> prerequisites -> create/update ->
wait for the deployment -> verify the new version answers.

`prepare` works out what a deploy would do without changing anything; `apply` does it. The fleet path
(deploy/fleet.py) calls both around its lock and deploy records; `deploy` is the two in a row.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from expressway.aws.ecs import is_propagation_error
from expressway.aws.servicequotas import ServiceQuotas
from expressway.deploy import prerequisites as support
from expressway.deploy.target import Target
from expressway.deploy.verify import verify
from expressway.deploy.waiting import Clock, Deadline, Prober
from expressway.deploy.watch import find_deployment, settle
from expressway.errors import AwsError, DeployError
from expressway.images.source import ImageSource
from expressway.plan import capacity
from expressway.plan.desired import Facts, Spec, spec, update_request
from expressway.plan.live import LiveService
from expressway.plan.pricing import estimate_prices
from expressway.plan.steps import Plan, Step, plan_service
from expressway.registry import Registry
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
    watch_interval: float = 5.0  # how often a running deployment is checked for failures that end it
    # After a run creates or changes an IAM role or policy, wait this long before the first create or
    # update that uses it: IAM changes take a while to be effective everywhere ("Troubleshoot IAM",
    # changes that I make are not always immediately visible). Retries of propagation errors follow.
    iam_settle: float = 10.0
    clock: Clock = field(default_factory=Clock)


@dataclass(frozen=True)
class Outcome:
    service: str
    action: str
    url: str | None
    deployment: str | None = None


@dataclass(frozen=True)
class Prepared:
    """What deploying one service will do: what runs, the desired spec, and the plan step between."""

    key: str
    observed: LiveService | None
    spec: Spec
    step: Step

    @property
    def version(self) -> str:
        return self.spec.version


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
        *,
        target: Target | None = None,
    ) -> None:
        self.target = target or Target(registry, env)
        self.registry, self.env = self.target.registry, self.target.env
        self.environment, self.names, self.ecs = self.target.environment, self.target.names, self.target.ecs
        self.images, self.prober, self.version, self.say = images, prober, version, say
        self.options = options or Options()
        self._facts: Facts | None = None
        self._urls: dict[str, str] = {}
        self._shared = threading.Lock()
        self._shared_done = False
        self._iam_changed = False
        self._placed: int | None = None

    def facts(self) -> Facts:
        """Account, region and the one subnet list, looked up once per run."""
        if self._facts is None:
            who, net = self.target.identity(), self.target.network()
            self._facts = Facts(
                who.account, self.environment.region, net.subnets, self.version, partition=who.partition
            )
            self.say(f"account {who.account}, {self.environment.region}, {net.vpc}")
        return self._facts

    def arn(self, key: str) -> str:
        return self.target.arn(key)

    def observe(self, key: str) -> LiveService | None:
        return self.target.observe(key)

    def _dependency_urls(self, key: str) -> dict[str, str]:
        for dep in sorted(dependencies(self.registry, key) - set(self._urls)):
            found = self.observe(dep)
            if found is not None and found.url:
                self._urls[dep] = found.url
        return dict(self._urls)

    def spec_for(self, key: str, observed: LiveService | None, *, planning: bool) -> Spec:
        """The desired state of `key`: with `planning`, nothing is built (the image a deploy would
        use when known without side effects, else the running one)."""
        if planning:
            running = observed.image if observed else None
            image = self.images.planned(key) or running or "<image built at deploy>"
        else:
            image = self.images.image(key)
        urls = self._dependency_urls(key)
        return spec(self.registry, self.env, key, self.facts(), image, urls, placeholders=planning)

    def plan(self, keys: list[str], pinned: Mapping[str, Spec] | None = None) -> Plan:
        """What deploying `keys` would do, without changing anything."""
        steps = []
        for key in deploy_order(self.registry, keys):
            observed = self.target.observe_for_change(key)
            desired = (pinned or {}).get(key) or self.spec_for(key, observed, planning=True)
            steps.append(plan_service(key, desired.request, observed))
        if not any(step.action == "create" for step in steps):
            return Plan(self.env, tuple(steps))
        placed, slots = capacity.place_creates(
            tuple(steps),
            self.alb_used(),
            places=self.options.alb_places,
            allow_new_alb=self.options.allow_new_alb,
            hint=self._spill_hint(),
        )
        return Plan(self.env, placed, slots)

    def alb_used(self) -> int:
        """Express services on this environment's shared ALBs now (counted once per run)."""
        with self._shared:
            if self._placed is None:
                self._placed = self.target.services_on_alb()
            return self._placed

    def _spill_hint(self) -> str:
        prices = estimate_prices(self.environment.region)
        return capacity.spill_hint(self.environment, len(self.facts().subnets), prices)

    def prepare(self, key: str, pinned: Spec | None = None) -> Prepared:
        """What deploying `key` will do; `pinned` deploys a recorded spec as it was (rollback)."""
        self.facts()
        observed = self.target.observe_for_change(key)
        desired = pinned or self.spec_for(key, observed, planning=False)
        return Prepared(key, observed, desired, plan_service(key, desired.request, observed))

    def deploy(self, key: str, pinned: Spec | None = None) -> Outcome:
        """Deploy one service and return where it serves; DeployError when it does not."""
        return self.apply(self.prepare(key, pinned))

    def apply(self, prepared: Prepared, guard: Callable[[], None] = lambda: None) -> Outcome:
        """Run a prepared deploy: prerequisites, create or update, wait, verify. `guard` is called
        before each AWS change and raises to stop the deploy there (the fleet: the lock is lost)."""
        key, observed, desired, step = prepared.key, prepared.observed, prepared.spec, prepared.step
        if step.action == "blocked":
            raise DeployError(f"deploy {key}: {step.reason}", hint=step.hint)
        if step.action == "no-change":
            assert observed is not None
            group = observed.active.log_group if observed.active else None
            deployment = self._settle(key, observed.current_deployment, group, None)
            url = self._verify(key, observed, prepared.version)
            self.say(f"{key}: up to date ({url})")
            return Outcome(key, "no-change", url, deployment)
        if step.action == "create":
            self._check_capacity(key)
        guard()
        self._ensure_shared()
        if support.ensure_service(self.registry, self.env, desired, lambda m: self.say(f"{key}: {m}")):
            self._iam_changed = True
        self._settle_iam(key)
        previous = observed.current_deployment if observed else None
        started = datetime.now(UTC) - timedelta(seconds=5)
        current = self._apply(key, step, desired, guard)
        arn = self._find_deployment(key, current, previous, started)
        self._settle(key, arn, desired.log_group, started)
        url = self._verify(key, self.observe(key), prepared.version)
        self.say(f"{key}: deployed {prepared.version[:12]} -> {url}")
        return Outcome(key, step.action, url, arn)

    def _ensure_shared(self) -> None:
        with self._shared:
            if not self._shared_done:
                if support.ensure_shared(self.registry, self.env, self.facts().arns, self.say):
                    self._iam_changed = True
                quota = ServiceQuotas(self.environment).fargate_vcpus()
                warning = capacity.quota_warning(self.registry, self.env, quota)
                if warning:
                    self.say(warning)
                self._shared_done = True

    def _settle_iam(self, key: str) -> None:
        """Give IAM changes of this run time to take effect, once, before the call that uses them."""
        with self._shared:
            changed, self._iam_changed = self._iam_changed, False
        if changed and self.options.iam_settle > 0:
            self.say(
                f"{key}: waiting {self.options.iam_settle:.0f}s for new IAM roles and policies to take effect"
            )
            self.options.clock.sleep(self.options.iam_settle)

    def _check_capacity(self, key: str) -> None:
        """Refuse a create that would open another ALB; parallel creates of one run count each other."""
        facts = self.facts()
        places = self.options.alb_places
        self.alb_used()
        with self._shared:
            assert self._placed is not None
            used = capacity.Capacity(self._placed)
            if used.full(places) and not self.options.allow_new_alb:
                vpc, prices = self.target.network().vpc, estimate_prices(self.environment.region)
                capacity.refuse_spill(key, self.environment, used, len(facts.subnets), vpc, prices)
            self._placed += 1
        if used.used >= places * 4 // 5:
            self.say(f"{key}: {used.used % places or places} of {places} places on the shared ALB are used")

    def _apply(
        self, key: str, step: Step, desired: Spec, guard: Callable[[], None] = lambda: None
    ) -> str | None:
        """Create or update, retrying while IAM has not yet propagated freshly created roles; returns
        the deployment the answer names, if it names one."""
        deadline = Deadline(self.options.propagation_timeout, self.options.clock)
        self.say(f"{key}: {'creating' if step.action == 'create' else 'updating'} {desired.name}")
        for change in step.changes if step.action == "update" else ():
            self.say(f"{key}:   ~ {change.field}")
        while True:
            guard()
            try:
                if step.action == "create":
                    return self.ecs.create(desired.request).current_deployment
                return self.ecs.update(update_request(desired.request, step.arn or self.arn(key)))
            except AwsError as exc:
                if not is_propagation_error(exc) or deadline.passed:
                    raise
                self.say(f"{key}: roles not usable yet (IAM propagation), retrying")
                self.options.clock.sleep(min(self.options.poll * 2, 10.0))

    def _find_deployment(self, key: str, current: str | None, previous: str | None, started: datetime) -> str:
        o = self.options
        return find_deployment(
            self.target,
            key,
            current,
            previous,
            started,
            timeout=min(o.timeout, 300.0),
            poll=o.poll,
            clock=o.clock,
        )

    def _settle(
        self, key: str, arn: str | None, log_group: str | None, started: datetime | None
    ) -> str | None:
        if not arn:
            return None
        o = self.options
        settle(
            self.target, key, arn, log_group, started, self.say,
            timeout=o.timeout, poll=o.poll, interval=o.watch_interval, clock=o.clock,
        )  # fmt: skip
        return arn

    def _verify(self, key: str, observed: LiveService | None, version: str) -> str:
        options = self.options
        return verify(
            self.target, self.prober, key, observed, version, self.say,
            enabled=options.verify, timeout=options.verify_timeout, poll=options.poll, clock=options.clock,
        )  # fmt: skip
