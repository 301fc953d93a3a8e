"""Deploy locks: one deploy per service and environment, held in DynamoDB with a renewed lease.

A conditional write takes the lock only if nobody holds it or the holder's lease has expired, so a
crashed deploy blocks others for at most one lease. While the deploy runs, a thread renews the lease.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from expressway.aws.ledger import Ledger
from expressway.deploy.waiting import Clock
from expressway.errors import DeployError

LEASE_SECONDS = 120.0


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, since when, and until when the lease runs (epoch seconds)."""

    who: str
    since: str
    expires: float


def holder_name(identity_arn: str) -> str:
    """`<caller ARN> on <host> pid <pid>`: enough to find the deploy that holds the lock."""
    return f"{identity_arn} on {socket.gethostname()} pid {os.getpid()}"


class DeployLock:
    """The lock of one service in one environment."""

    def __init__(
        self,
        ledger: Ledger,
        service: str,
        who: str,
        *,
        lease: float = LEASE_SECONDS,
        clock: Clock | None = None,
        wall: Callable[[], float] | None = None,
    ) -> None:
        self.ledger, self.service, self.who, self.lease = ledger, service, who, lease
        self.clock = clock or Clock()
        self.wall = wall or (lambda: datetime.now(UTC).timestamp())
        self.token = uuid.uuid4().hex
        self.key = (f"lock#{service}", "lock")
        self.holder_since: str | None = None  # set when this lock is taken

    def _item(self, since: str) -> dict[str, dict[str, str]]:
        return {
            "pk": {"S": self.key[0]},
            "sk": {"S": self.key[1]},
            "holder": {"S": self.who},
            "since": {"S": since},
            "expires": {"N": f"{self.wall() + self.lease:.3f}"},
            "token": {"S": self.token},
        }

    def holder(self) -> Holder | None:
        item = self.ledger.get(*self.key)
        if item is None:
            return None
        return Holder(item["holder"]["S"], item["since"]["S"], float(item["expires"]["N"]))

    def try_acquire(self) -> bool:
        """Take the lock if it is free, expired, or already ours."""
        since = datetime.fromtimestamp(self.wall(), UTC).isoformat(timespec="seconds")
        taken = self.ledger.put(
            self._item(since),
            "attribute_not_exists(pk) OR #expires < :now OR #token = :token",
            {":now": {"N": f"{self.wall():.3f}"}, ":token": {"S": self.token}},
            names={"#token": "token", "#expires": "expires"},
        )
        if taken:
            self.holder_since = since
        return taken

    def acquire(self, wait: float = 0.0, poll: float = 2.0, say: Callable[[str], None] | None = None) -> None:
        """Take the lock, waiting up to `wait` seconds; DeployError naming the holder otherwise."""
        end = self.clock.monotonic() + wait
        told = False
        while not self.try_acquire():
            held = self.holder()
            if held is None:
                continue  # released between our write and our read: try again at once
            if self.clock.monotonic() >= end:
                expires = datetime.fromtimestamp(held.expires, UTC).isoformat(timespec="seconds")
                raise DeployError(
                    f"deploy {self.service}: locked: {held.who} has been deploying it since {held.since}",
                    hint=f"wait for that deploy, or pass --lock-wait SECONDS; if it crashed, the lock "
                    f"expires at {expires}",
                )
            if say and not told:
                say(f"{self.service}: waiting for the deploy lock held by {held.who} since {held.since}")
                told = True
            self.clock.sleep(poll)

    def renew(self) -> bool:
        """Extend our lease; False if the lock is no longer ours (it expired and was taken over)."""
        held = self.holder()
        if held is None:
            return False
        return self.ledger.put(
            self._item(held.since),
            "#token = :token",
            {":token": {"S": self.token}},
            names={"#token": "token"},
        )

    def release(self) -> None:
        self.ledger.delete(
            *self.key, "#token = :token", {":token": {"S": self.token}}, names={"#token": "token"}
        )

    @contextmanager
    def held(self, wait: float = 0.0, say: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the lock for the block, renewing the lease every third of it."""
        self.acquire(wait, say=say)
        stop = threading.Event()

        def heartbeat() -> None:
            while not stop.wait(self.lease / 3):
                if not self.renew() and say:
                    say(f"{self.service}: lost the deploy lock (lease expired and taken over)")
                    return

        beat = threading.Thread(target=heartbeat, name=f"lock-{self.service}", daemon=True)
        beat.start()
        try:
            yield
        finally:
            stop.set()
            beat.join()
            self.release()
