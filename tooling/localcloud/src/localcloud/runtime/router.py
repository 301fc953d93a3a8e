"""The local stand-in for the shared ALB: an HTTP reverse proxy on loopback that routes by Host header."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from typing import Any

import httpx
import uvicorn

from .routes import RouteTable, Target

logger = logging.getLogger("localcloud.runtime.router")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
RouteReader = Callable[[], RouteTable]

# Hop-by-hop headers belong to one connection and are never forwarded (RFC 9110 section 7.6.1).
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


class Router:
    """An ASGI app that forwards each request to a healthy target of the rule matching its Host.

    The table is re-read from the emulated ELBv2 every `interval` seconds (in a worker thread: the
    reads are blocking boto3 calls), so routing follows the rules and registered targets exactly as
    the emulator holds them. Responses stream through unbuffered, so server-sent events work.
    """

    def __init__(
        self, read: RouteReader, *, interval: float = 0.5, vpc_ports: frozenset[int] = frozenset()
    ) -> None:
        self._read = read
        self._interval = interval
        # Requests arriving on these ports come from inside the VPC (the tasks' proxy): they may reach
        # private endpoints, which the host's port does not serve, as nothing outside reaches an
        # internal ALB.
        self.vpc_ports = vpc_ports
        self._table = RouteTable()
        self._client: httpx.AsyncClient | None = None
        self._poller: asyncio.Task[None] | None = None
        self._refreshing = asyncio.Lock()
        self._last_error: str | None = None

    @property
    def table(self) -> RouteTable:
        return self._table

    async def refresh(self) -> RouteTable:
        """Read the table now; keep the previous one (and log once) when the emulator cannot answer."""
        async with self._refreshing:
            try:
                self._table = await asyncio.to_thread(self._read)
                self._last_error = None
            except Exception as error:  # botocore raises many unrelated types for one unreachable endpoint
                message = f"{type(error).__name__}: {error}"
                if message != self._last_error:
                    logger.warning("router: cannot read the load balancer rules: %s", message)
                self._last_error = message
        return self._table

    async def start(self) -> None:
        # trust_env=False: the router must never send its own traffic through HTTP_PROXY (itself).
        self._client = httpx.AsyncClient(
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(connect=5.0, read=None, write=60.0, pool=10.0),
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        )
        await self.refresh()
        self._poller = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.refresh()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(self, receive, send)
        elif scope["type"] == "http":
            await self._proxy(scope, receive, send)
        # websocket connections are not routed: uvicorn answers them with 403 when the app returns

    async def _proxy(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: list[tuple[bytes, bytes]] = list(scope["headers"])
        host = next((v.decode("latin-1") for k, v in headers if k == b"host"), "")
        route = self._table.match(host)
        if route is None:
            await _page(send, 404, "Not found", _not_found(host, self._table))
            return
        inside = int((scope.get("server") or ("", 0))[1] or 0) in self.vpc_ports
        if route.internal and not inside:
            message = (
                f'<p>{_e(host)} is a private endpoint (access = "private"): only tasks inside its VPC '
                "reach it, as nothing outside reaches an internal load balancer.</p>"
            )
            await _page(send, 403, "Private endpoint", message)
            return
        body = _Body(receive)
        for attempt in (1, 2):
            target = route.pick()
            if target is None:
                await _page(send, 503, "Service unavailable", f"<p>No healthy target for {_e(host)}.</p>")
                return
            try:
                await self._forward(scope, send, target, _forwarded(scope, headers, host), body.replay())
                return
            except httpx.TransportError as error:
                # A refused connection never reached the service, and an idempotent request may be
                # sent again; either way the table may be stale (a target just went away).
                retry = (
                    attempt == 1
                    and body.replayable
                    and (
                        isinstance(error, httpx.ConnectError)
                        or (scope["method"] in _IDEMPOTENT and isinstance(error, _RESENDABLE))
                    )
                )
                if not retry:
                    logger.warning("router: %s via %s failed: %r", host, target.url, error)
                    await _page(send, 502, "Bad gateway", f"<p>{_e(host)} did not answer.</p>")
                    return
                route = (await self.refresh()).match(host) or route

    async def _forward(
        self,
        scope: Scope,
        send: Send,
        target: Target,
        headers: list[tuple[bytes, bytes]],
        body: AsyncIterator[bytes],
    ) -> None:
        assert self._client is not None, "the router was not started"
        path = _origin_form(scope)
        request = self._client.build_request(
            scope["method"], target.url + path, headers=headers, content=body
        )
        response = await self._client.send(request, stream=True)
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [(k, v) for k, v in response.headers.raw if k.lower() not in _HOP_BY_HOP],
                }
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()


_RESENDABLE = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
_REPLAY_LIMIT = 1 << 20


class _Body:
    """The request body, streamed to the service and remembered (up to 1 MiB) so that a request
    whose connection failed can be sent once more."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._seen: list[bytes] = []
        self._size = 0
        self._done = False

    @property
    def replayable(self) -> bool:
        return self._size <= _REPLAY_LIMIT

    async def replay(self) -> AsyncIterator[bytes]:
        for chunk in self._seen:
            yield chunk
        while not self._done:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self._done = True
                return
            self._done = not message.get("more_body", False)
            chunk = message.get("body", b"")
            if chunk:
                self._size += len(chunk)
                if self._size <= _REPLAY_LIMIT:
                    self._seen.append(chunk)
                yield chunk


def _origin_form(scope: Scope) -> str:
    """Path and query as the service should see them, also for absolute-form requests
    (`GET http://sensors.localhost:8080/x`), which clients send when the router is their HTTP proxy."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    if raw.lower().startswith((b"http://", b"https://")):
        after = raw.split(b"://", 1)[1]
        raw = b"/" + after.split(b"/", 1)[1] if b"/" in after else b"/"
    query: bytes = scope.get("query_string", b"")
    if query and b"?" not in raw:
        raw += b"?" + query
    return raw.decode("latin-1")


def _forwarded(scope: Scope, headers: list[tuple[bytes, bytes]], host: str) -> list[tuple[bytes, bytes]]:
    """The request headers as the ALB sends them on: Host kept, X-Forwarded-* set."""
    client = (scope.get("client") or ("", 0))[0]
    kept = [(k, v) for k, v in headers if k not in _HOP_BY_HOP and not k.startswith(b"x-forwarded-")]
    prior = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for"]
    chain = ", ".join([*prior, client]) if client else ", ".join(prior)
    port = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else "80"
    kept += [
        (b"x-forwarded-for", chain.encode("latin-1")),
        (b"x-forwarded-proto", scope.get("scheme", "http").encode()),
        (b"x-forwarded-host", host.encode("latin-1")),
        (b"x-forwarded-port", port.encode()),
    ]
    return kept


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _not_found(host: str, table: RouteTable) -> str:
    port = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else ""
    suffix = f":{port}" if port else ""
    items = "".join(
        f"<li><code>{_e(h)}</code></li>"
        if any(c in h for c in "*?")  # a wildcard rule is no address one can open
        else f'<li><a href="http://{_e(h)}{_e(suffix)}/">{_e(h)}{_e(suffix)}</a></li>'
        for h in table.hosts
    )
    known = f"<p>Known hosts:</p><ul>{items}</ul>" if items else "<p>No service is deployed yet.</p>"
    return f"<p>No service answers to <code>{_e(host or '(no Host header)')}</code>.</p>{known}"


async def _page(send: Send, status: int, title: str, content: str) -> None:
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{status} {title}</title></head>"
        f"<body><h1>{status} {title}</h1>{content}<p><small>expressway local router</small></p>"
        "</body></html>"
    ).encode()
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(page)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": page})


async def _lifespan(router: Router, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await router.start()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await router.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to its owner: `expressway dev` stops the pieces in order
    (services first, the router after them), where uvicorn would stop the router at the first Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def server(router: Router, port: int, host: str = "127.0.0.1") -> uvicorn.Server:
    """A uvicorn server for the router (its `serve()` runs until `should_exit` is set; pass it bound
    sockets to listen on several ports)."""
    config = uvicorn.Config(
        router,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,  # the client address is the one to append to X-Forwarded-For
        lifespan="on",
        timeout_graceful_shutdown=5,
        # the service's own Date and Server headers pass through; uvicorn would add a second pair
        date_header=False,
        server_header=False,
    )
    return _Server(config)
