"""Deploying one service: observe -> desired spec -> plan step -> prerequisites -> create/update ->
wait for the deployment -> verify the new version answers.

`prepare` works out what a deploy would do without changing anything; `apply` does it. The fleet path
(deploy/fleet.py) calls both around its lock and deploy records; `deploy` is the two in a row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from expressway.aws.ecs import is_propagation_error
from expressway.deploy import prerequisites as support
from expressway.deploy.run import Limits, Run
from expressway.deploy.target import Target
from expressway.deploy.verify import verify
from expressway.deploy.waiting import Clock, Deadline, Prober
from expressway.deploy.watch import add_report, find_deployment, reported, rolled_back, settle
from expressway.errors import AwsError, DeployError, ExpresswayError
from expressway.images.source import ImageSource
from expressway.plan import capacity
from expressway.plan.desired import Facts, Spec, spec, update_request
from expressway.plan.live import LiveService
from expressway.plan.pricing import estimate_prices
from expressway.plan.steps import Plan, Step, plan_service
from expressway.plan.tasks import Deployment
from expressway.registry import Registry
from expressway.registry.names import TAG_PROJECT
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
        o = self.options
        self.run = Run(self.target, Limits(o.alb_places, o.allow_new_alb, o.iam_settle, o.clock), say)

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
            observed = self.observe(key)
            desired = (pinned or {}).get(key) or self.spec_for(key, observed, planning=True)
            steps.append(self._step(key, desired, observed))
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
        return self.run.alb_used()

    def empty_vpc(self) -> bool:
        """True while no Express service stands on this environment's shared ALB (this run's failed
        creates that left nothing behind do not count)."""
        return self.alb_used() == 0

    def _spill_hint(self) -> str:
        prices = estimate_prices(self.environment.region)
        return capacity.spill_hint(self.environment, len(self.facts().subnets), prices)

    def prepare(self, key: str, pinned: Spec | None = None) -> Prepared:
        """What deploying `key` will do; `pinned` deploys a recorded spec as it was (rollback)."""
        self.facts()
        observed = self.observe(key)
        desired = pinned or self.spec_for(key, observed, planning=False)
        return Prepared(key, observed, desired, self._step(key, desired, observed))

    def _step(self, key: str, desired: Spec, observed: LiveService | None) -> Step:
        """The plan step; a create also names the other projects' services that share its tags."""
        step = plan_service(key, desired.request, observed)
        if step.action == "create":
            for other in self.target.namesakes(key):
                project = (other.tags or {}).get(TAG_PROJECT, "?")
                self.say(
                    f"{key}: note: cluster {self.names.cluster} also holds {other.name}, project "
                    f"{project}'s {key}; it is not this project's and is left as it is"
                )
        return step

    def deploy(self, key: str, pinned: Spec | None = None) -> Outcome:
        """Deploy one service and return where it serves; DeployError when it does not."""
        return self.apply(self.prepare(key, pinned))

    def apply(self, prepared: Prepared, guard: Callable[[], None] = lambda: None) -> Outcome:
        """Run a prepared deploy: prerequisites, create or update, wait, verify. `guard` is called
        before each AWS change and raises to stop the deploy there (the fleet: the lock is lost).

        Every failure once the service exists carries the service's last log lines and recent ECS
        events (`watch.report`), whichever step it ends: the update call, finding the deployment,
        waiting for it, or the health check."""
        key, observed, desired, step = prepared.key, prepared.observed, prepared.spec, prepared.step
        if step.action == "blocked":
            raise DeployError(f"deploy {key}: {step.reason}", hint=step.hint)
        if step.action == "no-change":
            done = self._up_to_date(prepared)
            if done is not None:
                return done
            step = Step(key, step.name, "update", arn=step.arn)  # what runs is not what it names
        self.run.preflight()
        previous = observed.current_deployment if observed else None
        started = datetime.now(UTC) - timedelta(seconds=5)
        creating = step.action == "create"
        current = self._create(key, step, desired, guard) if creating else None
        if not creating:
            self._prerequisites(key, desired, guard)
        with reported(self.target, key, desired.log_group):
            if not creating:  # the service exists: a failed update is reported like any failure
                current = self._apply(key, step, desired, guard)
            arn = self._find_deployment(key, current, previous, started)
            self._settle(key, arn, started)
            url = self._verify(key, self.observe(key), prepared.version)
        self.say(f"{key}: deployed {prepared.version[:12]} -> {url}")
        return Outcome(key, step.action, url, arn)

    def _up_to_date(self, prepared: Prepared) -> Outcome | None:
        """A deploy whose desired configuration is the service's newest: wait for a deployment of it
        still under way, prove the version answers, say what runs. None when the newest configuration
        is one ECS rolled back from, so it does not run: the caller deploys it again."""
        key, observed = prepared.key, prepared.observed
        assert observed is not None
        running = observed.active.revision if observed.active else None
        arn = observed.current_deployment
        with reported(self.target, key, observed.active.log_group if observed.active else None):
            last, again = rolled_back(self.target, key, arn, running, self.say) if arn else (None, False)
            if again:
                return None
            if arn and (last is None or not last.ended):  # under way (or not reported yet): wait for it
                self._settle(key, arn, None, first=last)
            url = self._verify(key, observed, prepared.version)
        version, shown = (observed.version or "unknown")[:12], (running or "?").rsplit("/", 1)[-1]
        self.say(f"{key}: up to date: {version} runs (revision {shown}) at {url}")
        return Outcome(key, "no-change", url, arn)

    def _prerequisites(self, key: str, desired: Spec, guard: Callable[[], None]) -> None:
        """Shared resources, then the service's own; then time for IAM changes to take effect."""
        guard()
        self.run.ensure_shared(self.facts())
        changed = support.ensure_service(self.registry, self.env, desired, lambda m: self.say(f"{key}: {m}"))
        self.run.settle_iam(key, self.options.clock.monotonic() if changed else None)

    def _create(self, key: str, step: Step, desired: Spec, guard: Callable[[], None]) -> str | None:
        """Take a place on the shared ALB, then create; a create that leaves no service behind gives
        its place back, so a failed create does not crowd out the next one of the run."""
        self.run.take_place(key, self.facts())
        try:
            self._prerequisites(key, desired, guard)
            return self._apply(key, step, desired, guard)
        except ExpresswayError as exc:
            if self._absent(key):
                self.run.give_place_back()
            else:  # the create got as far as a service: its events and logs say what went wrong
                add_report(exc, self.target, key, desired.log_group)
            raise

    def _absent(self, key: str) -> bool:
        """True when the service provably does not exist (an unreadable answer keeps its place)."""
        try:
            return self.observe(key) is None
        except ExpresswayError:
            return False

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
        self, key: str, arn: str | None, started: datetime | None, *, first: Deployment | None = None
    ) -> str | None:
        if not arn:
            return None
        o = self.options
        settle(
            self.target, key, arn, started, self.say,
            timeout=o.timeout, poll=o.poll, interval=o.watch_interval, clock=o.clock, first=first,
        )  # fmt: skip
        return arn

    def _verify(self, key: str, observed: LiveService | None, version: str) -> str:
        options = self.options
        return verify(
            self.target, self.prober, key, observed, version, self.say,
            enabled=options.verify, timeout=options.verify_timeout, poll=options.poll, clock=options.clock,
        )  # fmt: skip
