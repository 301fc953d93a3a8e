"""Polling waits (no waiter exists for Express): a deployment to SUCCESSFUL, a URL to serve a version."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from expressway.errors import DeployError
from expressway.plan.tasks import Deployment


@dataclass
class Clock:
    """Time as the waits see it; tests pass a fake to make polling instant."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


@dataclass
class Deadline:
    seconds: float
    clock: Clock = field(default_factory=Clock)

    def __post_init__(self) -> None:
        self.end = self.clock.monotonic() + self.seconds

    @property
    def passed(self) -> bool:
        return self.clock.monotonic() >= self.end


def wait_for_deployment(
    describe: Callable[[], Deployment | None],
    on_change: Callable[[str], None],
    *,
    timeout: float,
    poll: float,
    clock: Clock,
    check: Callable[[], str | None] = lambda: None,
) -> Deployment:
    """Poll `describe` until the deployment ends; DeployError when it does not end within `timeout`,
    or as soon as `check` names a reason it cannot succeed.

    `describe` returns None while ECS does not report the deployment yet (eventual consistency).
    """
    deadline = Deadline(timeout, clock)
    last = ""
    while True:
        found = describe()
        status = found.status if found else "PENDING"
        shown = f"{status} {(found.stage if found else None) or ''}".strip()
        if shown != last:
            on_change(shown)
            last = shown
        if found is not None and (found.succeeded or found.failed):
            return found
        problem = check()
        if problem:
            raise DeployError(
                f"deployment {found.arn if found else ''} cannot succeed: {problem}".replace("  ", " "),
                hint="fix the cause and deploy again; the service keeps serving its previous revision",
            )
        if deadline.passed:
            raise DeployError(
                f"wait for deployment: still {status} after {timeout:.0f}s",
                hint="ECS keeps going; run `expressway status` later, or deploy again to resume waiting",
            )
        clock.sleep(poll)


def _via_loopback(url: str) -> tuple[str, dict[str, str]]:
    """`*.localhost` names (the local cloud's endpoints) do not resolve everywhere: send such a
    request to 127.0.0.1 with the name in the Host header, which is how the local router routes."""
    parsed = httpx.URL(url)
    if parsed.host.endswith(".localhost"):
        return str(parsed.copy_with(host="127.0.0.1")), {"Host": parsed.netloc.decode()}
    return url, {}


class NotJsonError(ValueError):
    """A health answer that says it is JSON but does not parse."""


def _is_json(content_type: str) -> bool:
    """application/json or a structured +json type (RFC 6839), whatever its parameters (RFC 9110,
    section 8.3.1: `type/subtype` is case-insensitive and `; charset=...` may follow)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _json(answer: httpx.Response) -> object:
    """The answer's JSON body; None when it says it is not JSON; NotJsonError when it says so but is not."""
    if not _is_json(answer.headers.get("content-type", "")):
        return None
    try:
        parsed: object = answer.json()
    except ValueError as exc:
        raise NotJsonError(
            f"HTTP {answer.status_code} with a body that is not JSON: {answer.text[:80]!r}"
        ) from exc
    return parsed


class Prober(Protocol):
    """Checks that a service answers its health path with the version just deployed."""

    def verify(self, url: str, version: str, timeout: float) -> str: ...


class HttpProber:
    """GET the health URL until it answers 200 with `"version": <version>` (tests inject a transport)."""

    def __init__(
        self, transport: httpx.BaseTransport | None = None, *, poll: float = 2.0, clock: Clock | None = None
    ) -> None:
        self.transport = transport
        self.poll = poll
        self.clock = clock or Clock()

    def verify(self, url: str, version: str, timeout: float) -> str:
        """A short description of the good answer; DeployError with the last answer seen otherwise.

        A 200 that reports no version at all passes at once, with a warning in the description: the
        service (one moved in from elsewhere, say) cannot prove which revision answered. A body whose
        content type says JSON (`application/json`, `...+json`, any parameters) but does not parse
        never passes: it cannot say which version answered, though it claims to. A 200 with
        another version is the old revision still serving: keep asking until `timeout`.
        """
        deadline = Deadline(timeout, self.clock)
        target, headers = _via_loopback(url)
        # The local cloud's names go straight to loopback, never through a proxy set for its services;
        # a real endpoint goes the way the environment says (HTTPS_PROXY, SSL_CERT_FILE: httpx reads them).
        local = target != url or httpx.URL(url).host in ("127.0.0.1", "localhost", "::1")
        with httpx.Client(
            transport=self.transport, timeout=5.0, follow_redirects=False, trust_env=not local
        ) as web:
            while True:
                good, seen = _judge(web, target, headers, version)
                if good is not None:
                    return good
                if deadline.passed:
                    raise DeployError(
                        f"verify {url}: expected 200 with version {version}, last answer: {seen}",
                        hint="the deployment succeeded but the service does not serve the new version; "
                        "check `expressway status` and the logs, or pass --no-verify to skip this check",
                    )
                self.clock.sleep(self.poll)


def _judge(web: httpx.Client, target: str, headers: dict[str, str], version: str) -> tuple[str | None, str]:
    """One look at the health URL: (the good answer's description, None) or (None, what was seen)."""
    try:
        answer = web.get(target, headers=headers)
        body = _json(answer)
    except NotJsonError as exc:  # a version cannot be read from it: never taken for "no version"
        return None, str(exc)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if answer.status_code == 200 and (not isinstance(body, dict) or "version" not in body):
        return (
            f"{answer.status_code} with no version: warning: not proven that {version[:12]} "
            "is what answers; have the health path report it, e.g. "
            '{"version": os.environ["APP_VERSION"]} (expressway sets APP_VERSION)'
        ), ""
    served = body.get("version") if isinstance(body, dict) else None
    if answer.status_code == 200 and served == version:
        return f"{answer.status_code}, version {served}", ""
    return None, f"HTTP {answer.status_code}, version {served!r}"
