"""Deploy locks: one deploy per service and environment, held in DynamoDB with a renewed lease.

Taking the lock is a compare-and-swap on the lock item: written only if there is none, if it is ours,
or if it is still exactly the item we read and that holder is done: its lease expired, or it runs on
this host and its process is gone (taken over at once). Every takeover is said. While the deploy runs,
a thread renews the lease every third of it and retries a renewal that fails; `confirm` (called before
each AWS change) raises once the lease cannot be confirmed, well before another deploy could take it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from expressway.aws.ledger import Ledger
from expressway.deploy.waiting import Clock
from expressway.errors import DeployError

LEASE_SECONDS = 120.0
# Share of the lease after the last confirmed renewal during which a deploy may still start an AWS
# change; the rest is margin for the change in flight and for clocks that disagree between hosts.
TRUSTED = 0.75


def lock_key(service: str) -> tuple[str, str]:
    """(pk, sk) of a service's lock item in the operations table."""
    return f"lock#{service}", "lock"


def _read(path: str) -> str:
    with contextlib.suppress(OSError):
        return Path(path).read_text().strip()
    return ""


def _host_id() -> str:
    """This host and process-id space: the host name, the kernel's boot id and the PID namespace, so
    two containers that share a host name never judge each other's processes."""
    with contextlib.suppress(OSError):
        namespace = os.readlink("/proc/self/ns/pid")
        return f"{socket.gethostname()} {_read('/proc/sys/kernel/random/boot_id')} {namespace}"
    return socket.gethostname()  # no /proc (macOS): no PID namespaces to tell apart either


HOST = _host_id()


_DOING = {"deploy": "deploying", "destroy": "destroying"}


def holder_name(identity_arn: str) -> str:
    """`<caller ARN> on <host> pid <pid>`: enough to find the deploy that holds the lock."""
    return f"{identity_arn} on {socket.gethostname()} pid {os.getpid()}"


def _seconds(value: float) -> str:
    return f"{value:.0f}s" if value >= 10 else f"{value:.1f}s"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, since when, and until when the lease runs (epoch seconds)."""

    who: str
    since: str
    expires: float
    token: str = ""
    host: str = ""  # HOST of the holder's machine; empty for locks written before it was recorded
    pid: int | None = None
    written: str = ""  # `expires` exactly as stored, for a conditional write on "still this item"
    action: str = "deploy"  # what holds it: deploy (also rollback) or destroy

    def gone(self) -> bool:
        """True when the holder ran on this host and its process no longer exists."""
        return self.host == HOST and self.pid is not None and not _alive(self.pid)


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
        action: str = "deploy",
    ) -> None:
        self.ledger, self.service, self.who, self.lease = ledger, service, who, lease
        self.action = action  # what takes the lock (deploy, destroy): how its errors begin
        self.clock = clock or Clock()
        self.wall = wall or (lambda: datetime.now(UTC).timestamp())
        self.token = uuid.uuid4().hex
        self.key = lock_key(service)
        self.holder_since: str | None = None  # set when this lock is taken
        self._state = threading.Lock()
        self._confirmed = float("-inf")  # monotonic time until which our lease is known to hold
        self._lost: str | None = None

    @property
    def _wait_option(self) -> str:
        return ", or pass --lock-wait SECONDS" if self.action == "deploy" else f", then {self.action} again"

    def _item(self, since: str) -> dict[str, dict[str, str]]:
        return {
            "pk": {"S": self.key[0]},
            "sk": {"S": self.key[1]},
            "holder": {"S": self.who},
            "since": {"S": since},
            "expires": {"N": f"{self.wall() + self.lease:.3f}"},
            "token": {"S": self.token},
            "host": {"S": HOST},
            "pid": {"N": str(os.getpid())},
            "action": {"S": self.action},
        }

    def holder(self) -> Holder | None:
        item = self.ledger.get(*self.key)
        return None if item is None else _holder(item)

    def _confirm_from(self, started: float) -> None:
        with self._state:
            self._confirmed = max(self._confirmed, started + self.lease * TRUSTED)

    def _attempt(self, say: Callable[[str], None] | None) -> Holder | None:
        """One try at the lock: None when taken, else the holder that keeps it."""
        started, now = self.clock.monotonic(), self.wall()
        held = self.holder()
        since = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")
        why = ""
        if held is None:
            condition, values = "attribute_not_exists(pk)", {}
        elif held.token == self.token:
            condition, values, since = "#token = :token", {":token": {"S": self.token}}, held.since
        else:
            if held.expires < now:
                ended = datetime.fromtimestamp(held.expires, UTC).isoformat(timespec="seconds")
                why = f"its lease ran out at {ended}"
            elif held.gone():
                why = f"its process {held.pid} on this host is gone"
            else:
                return held
            # Still exactly the item we judged: a holder that renewed meanwhile keeps its lock.
            condition = "#token = :theirs AND #expires = :seen"
            values = {":theirs": {"S": held.token}, ":seen": {"N": held.written}}
        names = {"#token": "token", "#expires": "expires"}
        used = {k: v for k, v in names.items() if k in condition}
        if not self.ledger.put(self._item(since), condition, values or None, names=used or None):
            return Holder("", "", 0.0)  # the item changed under us: the caller judges it again
        self.holder_since = since
        self._confirm_from(started)
        if why and held is not None and say:
            say(f"{self.service}: took over the deploy lock of {held.who} (since {held.since}): {why}")
        return None

    def try_acquire(self, say: Callable[[str], None] | None = None) -> bool:
        """Take the lock if it is free, ours, or its holder is done (expired, or dead on this host)."""
        return self._attempt(say) is None

    def acquire(self, wait: float = 0.0, poll: float = 2.0, say: Callable[[str], None] | None = None) -> None:
        """Take the lock, waiting up to `wait` seconds; DeployError naming the holder otherwise."""
        end = self.clock.monotonic() + wait
        told = False
        while (held := self._attempt(say)) is not None:
            if not held.who:
                continue  # the item changed between our read and our write: judge it again
            if self.clock.monotonic() >= end:
                expires = datetime.fromtimestamp(held.expires, UTC).isoformat(timespec="seconds")
                raise DeployError(
                    f"{self.action} {self.service}: locked: {held.who} has been "
                    f"{_DOING.get(held.action, held.action)} it since {held.since}",
                    hint=f"wait for that {held.action}{self._wait_option}; if it crashed, the lock "
                    f"expires at {expires}",
                )
            if say and not told:
                say(f"{self.service}: waiting for the deploy lock held by {held.who} since {held.since}")
                told = True
            self.clock.sleep(poll)

    def renew(self) -> bool:
        """Extend our lease; False if the lock is no longer ours (it expired and was taken over).
        Raises whatever the write raises (the caller retries)."""
        started = self.clock.monotonic()
        ours = self.ledger.put(
            self._item(self.holder_since or ""),
            "#token = :token",
            {":token": {"S": self.token}},
            names={"#token": "token"},
        )
        if ours:
            self._confirm_from(started)
        return ours

    def confirm(self) -> None:
        """Raise DeployError unless the lease is known to be ours: call it before each AWS change."""
        with self._state:
            lost, until = self._lost, self._confirmed
        if lost is None and self.clock.monotonic() > until:
            lost = f"its lease could not be renewed for {_seconds(self.lease * TRUSTED)}"
        if lost is not None:
            raise DeployError(
                f"{self.action} {self.service}: lost the deploy lock: {lost}; "
                "stopped before its next AWS change",
                hint="what it changed so far stays; deploy again (it carries on from what runs), and see "
                f"`expressway history {self.service}` for what went out",
            )

    def _lose(self, why: str, say: Callable[[str], None]) -> None:
        with self._state:
            self._lost = why
        say(f"{self.service}: lost the deploy lock: {why}; no further AWS change will be made")

    def _heartbeat(self, stop: threading.Event, say: Callable[[str], None]) -> None:
        """Renew every third of the lease; on a failure retry every twelfth, until the lease can no
        longer be confirmed (then the lock counts as lost, and `confirm` says so)."""
        failing: str | None = None
        while not stop.wait(self.lease / (12 if failing else 3)):
            try:
                ours = self.renew()
            except Exception as exc:  # any failure of a renewal is retried, never fatal
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                if failing is None:
                    say(f"{self.service}: could not renew the deploy lock ({reason}); retrying")
                failing = reason
                with self._state:
                    expired = self.clock.monotonic() > self._confirmed
                if expired:
                    self._lose(f"renewals failed for {_seconds(self.lease * TRUSTED)} (last: {reason})", say)
                    return
                continue
            if not ours:
                self._lose("its lease ran out and another deploy took it over", say)
                return
            if failing is not None:
                say(f"{self.service}: renewed the deploy lock again")
                failing = None

    def release(self) -> None:
        self.ledger.delete(
            *self.key, "#token = :token", {":token": {"S": self.token}}, names={"#token": "token"}
        )

    @contextmanager
    def held(self, wait: float = 0.0, say: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the lock for the block, renewing the lease every third of it."""
        self.acquire(wait, say=say)
        stop = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat,
            args=(stop, say or (lambda _: None)),
            name=f"lock-{self.service}",
            daemon=True,
        )
        beat.start()
        try:
            yield
        finally:
            stop.set()
            beat.join()
            try:
                self.release()
            except Exception as exc:  # the deploy's own outcome matters more
                if say:
                    say(f"{self.service}: could not release the deploy lock ({exc}); it ends with its lease")


def _holder(item: dict[str, Any]) -> Holder:
    pid = item.get("pid", {}).get("N")
    return Holder(
        who=item["holder"]["S"],
        since=item["since"]["S"],
        expires=float(item["expires"]["N"]),
        token=item.get("token", {}).get("S", ""),
        host=item.get("host", {}).get("S", ""),
        pid=int(pid) if pid is not None else None,
        written=item["expires"]["N"],
        action=item.get("action", {}).get("S", "deploy"),
    )
