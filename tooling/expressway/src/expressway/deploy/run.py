"""What the deploys of one run share (`deploy --all --parallel`, one Deployer): the places taken on the
shared ALB, the shared prerequisites made once, when IAM last changed, and the warnings said once
before the first change. Each deploy thread reads and changes them under one lock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from expressway.aws.servicequotas import ServiceQuotas
from expressway.deploy import prerequisites as support
from expressway.deploy.target import Target
from expressway.deploy.waiting import Clock
from expressway.plan import capacity
from expressway.plan.desired import Facts
from expressway.plan.pricing import estimate_prices


@dataclass(frozen=True)
class Limits:
    """The Deployer's options a run's shared state needs (deploy/deployer.Options has their why)."""

    alb_places: int
    allow_new_alb: bool
    iam_settle: float
    clock: Clock


class Run:
    """The state one run's deploys share; `say` reports progress."""

    def __init__(self, target: Target, options: Limits, say: Callable[[str], None]) -> None:
        self.target, self.options, self.say = target, options, say
        self._lock = threading.Lock()
        self._shared_done = False
        self._preflown = False
        self._shared_iam_at: float | None = None  # clock.monotonic() when this run changed shared IAM
        self._placed: int | None = None  # services on the shared ALB, counting this run's creates

    def alb_used(self) -> int:
        """Express services on this environment's shared ALBs now (counted once per run, then kept
        up to date by this run's creates)."""
        with self._lock:
            if self._placed is None:
                self._placed = self.target.services_on_alb()
            return self._placed

    def take_place(self, key: str, facts: Facts) -> None:
        """Refuse a create that would open another ALB, else take a place for it; parallel creates of
        one run count each other."""
        places, environment = self.options.alb_places, self.target.environment
        self.alb_used()
        with self._lock:
            assert self._placed is not None
            used = capacity.Capacity(self._placed)
            if used.full(places) and not self.options.allow_new_alb:
                vpc, prices = self.target.network().vpc, estimate_prices(environment.region)
                capacity.refuse_spill(key, environment, used, len(facts.subnets), vpc, prices)
            self._placed += 1
        if used.used >= places * 4 // 5:
            self.say(f"{key}: {used.used % places or places} of {places} places on the shared ALB are used")

    def give_place_back(self) -> None:
        """A create that left no service behind: its place is free for the run's next create."""
        with self._lock:
            assert self._placed is not None
            self._placed -= 1

    def preflight(self) -> None:
        """Warnings that must come before any change (once per run): the Fargate vCPU quota."""
        with self._lock:
            if self._preflown:
                return
            self._preflown = True
        target = self.target
        quota = ServiceQuotas(target.environment).fargate_vcpus()
        warning = capacity.quota_warning(target.registry, target.env, quota)
        if warning:
            self.say(warning)

    def ensure_shared(self, facts: Facts) -> None:
        """The environment's shared prerequisites (cluster, infrastructure role, tables), once."""
        with self._lock:
            if not self._shared_done:
                if support.ensure_shared(self.target.registry, self.target.env, facts.arns, self.say):
                    self._shared_iam_at = self.options.clock.monotonic()
                self._shared_done = True

    def settle_iam(self, key: str, own: float | None) -> None:
        """Before a call that uses IAM roles: wait until the latest change of the roles this service
        uses is `iam_settle` old: the shared ones (changed once per run, by whichever deploy came
        first) and its own (`own`: when they changed, None if they did not). Under --parallel each
        deploy waits for its own roles only, never for another service's."""
        with self._lock:
            times = [t for t in (self._shared_iam_at, own) if t is not None]
        clock, settle = self.options.clock, self.options.iam_settle
        if not times or settle <= 0:
            return
        left = max(times) + settle - clock.monotonic()
        if left > 0:
            self.say(f"{key}: waiting {left:.0f}s for new IAM roles and policies to take effect")
            clock.sleep(left)
