"""The router routes like the shared ALB: by Host header, through the rules and targets moto holds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from localcloud.emulation.alb import forward
from localcloud.runtime.process import TaskProcess
from localcloud.runtime.routes import Route, RouteTable, Target

pytestmark = pytest.mark.anyio
Start = Callable[..., Awaitable[TaskProcess]]


async def get(
    router: Any, host: str, path: str = "/", headers: dict[str, str] | None = None
) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        return await client.get(
            router.url + path, headers={"Host": f"{host}:{router.port}", **(headers or {})}
        )


async def wait_for(predicate: Callable[[], Awaitable[bool]], patience: float = 5.0) -> None:
    deadline = time.monotonic() + patience
    while not await predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_each_host_reaches_the_target_its_rule_forwards_to(
    alb: Any, routed: Any, upstream: Start
) -> None:
    alpha, beta = await upstream("alpha"), await upstream("beta")
    alb.register(alb.add_service("alpha.localhost")[1], alpha)
    alb.register(alb.add_service("beta.localhost")[1], beta)
    await routed.router.refresh()

    assert (await get(routed, "alpha.localhost")).json()["name"] == "alpha"
    assert (await get(routed, "BETA.localhost")).json()["name"] == "beta"  # host names are case-blind


async def test_unknown_host_gets_a_404_page_listing_the_known_hosts(alb: Any, routed: Any) -> None:
    alb.add_service("alpha.localhost")
    alb.add_service("beta.localhost")
    await routed.router.refresh()

    response = await get(routed, "nope.localhost")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert f'href="http://alpha.localhost:{routed.port}/"' in response.text
    assert f'href="http://beta.localhost:{routed.port}/"' in response.text
    assert "nope.localhost" in response.text


async def test_a_rule_without_healthy_targets_answers_503(alb: Any, routed: Any) -> None:
    alb.add_service("alpha.localhost")
    await routed.router.refresh()

    assert (await get(routed, "alpha.localhost")).status_code == 503


async def test_forwarded_headers_are_set_and_host_is_kept(alb: Any, routed: Any, upstream: Start) -> None:
    alpha = await upstream("alpha")
    alb.register(alb.add_service("alpha.localhost")[1], alpha)
    await routed.router.refresh()

    seen = (await get(routed, "alpha.localhost", "/x?y=1", headers={"Host": "alpha.localhost"})).json()
    spoofed = await get(routed, "alpha.localhost", headers={"X-Forwarded-For": "10.0.0.9"})

    assert seen["path"] == "/x"
    assert seen["query"] == "y=1"
    assert seen["headers"]["host"] == "alpha.localhost"
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert seen["headers"]["x-forwarded-proto"] == "http"
    assert seen["headers"]["x-forwarded-host"] == "alpha.localhost"
    assert spoofed.json()["headers"]["x-forwarded-for"] == "10.0.0.9, 127.0.0.1"  # appended, as an ALB does


async def test_request_bodies_pass_through(alb: Any, routed: Any, upstream: Start) -> None:
    alpha = await upstream("alpha")
    alb.register(alb.add_service("alpha.localhost")[1], alpha)
    await routed.router.refresh()

    async with httpx.AsyncClient(trust_env=False) as client:
        response = await client.post(
            routed.url + "/readings", content=b"x" * 300_000, headers={"Host": "alpha.localhost"}
        )

    assert response.json()["method"] == "POST"
    assert response.json()["body"] == "x" * 300_000


async def test_server_sent_events_stream_through_without_buffering(
    alb: Any, routed: Any, upstream: Start
) -> None:
    alpha = await upstream("alpha")
    alb.register(alb.add_service("alpha.localhost")[1], alpha)
    await routed.router.refresh()

    arrivals: list[tuple[float, str]] = []
    async with (
        httpx.AsyncClient(trust_env=False, timeout=10) as client,
        client.stream("GET", routed.url + "/events", headers={"Host": "alpha.localhost"}) as response,
    ):
        assert response.headers["content-type"] == "text/event-stream"
        async for line in response.aiter_lines():
            if line:
                arrivals.append((time.monotonic(), line))

    assert [line for _, line in arrivals] == ["data: 0", "data: 1", "data: 2"]
    # the app sleeps 0.4 s between events: each one arrived on its own, not all at the end
    assert arrivals[2][0] - arrivals[0][0] > 0.6


async def test_clients_using_the_router_as_http_proxy_reach_localhost_names(
    alb: Any, routed: Any, upstream: Start
) -> None:
    alpha = await upstream("alpha")
    alb.register(alb.add_service("alpha.localhost")[1], alpha)
    await routed.router.refresh()

    async with httpx.AsyncClient(proxy=routed.url, trust_env=False) as client:
        response = await client.get(f"http://alpha.localhost:{routed.port}/via?proxy=1")

    assert response.json()["name"] == "alpha"
    assert response.json()["path"] == "/via"
    assert response.json()["query"] == "proxy=1"


async def test_routing_follows_rule_and_target_changes_in_the_emulator(
    alb: Any, routed: Any, upstream: Start
) -> None:
    blue, green = await upstream("blue"), await upstream("green")
    rule, serving, standby = alb.add_service("app.localhost")
    alb.register(serving, blue)
    alb.register(standby, green)
    await routed.router.refresh()
    assert (await get(routed, "app.localhost")).json()["name"] == "blue"

    # the deployment moves the rule's weight to the other group: the router follows on its own
    alb.elbv2.modify_rule(RuleArn=rule, Actions=[forward(standby, serving)])

    async def green_serves() -> bool:
        return bool((await get(routed, "app.localhost")).json()["name"] == "green")

    await wait_for(green_serves)
    alb.deregister(standby, green)

    async def unavailable() -> bool:
        return (await get(routed, "app.localhost")).status_code == 503

    await wait_for(unavailable)


async def test_a_target_that_went_away_is_retried_on_a_fresh_table(
    alb: Any, routed: Any, upstream: Start
) -> None:
    old, new = await upstream("old"), await upstream("new")
    _, serving, _ = alb.add_service("app.localhost")
    alb.register(serving, old)
    await routed.router.refresh()
    # the switch happens in the emulator and the old process stops before the router's next poll
    alb.register(serving, new)
    alb.deregister(serving, old)
    await old.stop(5)

    response = await get(routed, "app.localhost")

    assert response.status_code == 200
    assert response.json()["name"] == "new"


def test_rules_are_matched_in_priority_order_with_alb_wildcards() -> None:
    first, second = Target("127.0.0.2", 1), Target("127.0.0.3", 2)
    table = RouteTable(
        (
            Route(1, ("api.localhost",), ("g1",), ("g1",), (first,)),
            Route(2, ("*.localhost",), ("g2",), ("g2",), (second,)),
        )
    )

    assert (route := table.match("api.localhost:8080")) is not None
    assert route.pick() == first
    assert (route := table.match("Other.LOCALHOST")) is not None
    assert route.pick() == second
    assert table.match("localhost") is None
    assert table.route_for("api.localhost") is table.routes[0]


async def test_the_services_date_and_server_headers_pass_through_once(
    alb: Any, routed: Any, upstream: Start
) -> None:
    alpha = await upstream("alpha")
    alb.register(alb.add_service("alpha.localhost")[1], alpha)
    await routed.router.refresh()

    response = await get(routed, "alpha.localhost")

    assert len(response.headers.get_list("date")) == 1
    assert response.headers.get_list("server") == ["uvicorn"]  # the service's own, not a second one


async def test_a_private_endpoint_is_refused_from_the_host_and_served_inside_the_vpc(upstream: Start) -> None:
    import socket

    from localcloud.runtime.router import Router, server

    alpha = await upstream("alpha")
    target = Target(alpha.address, alpha.port)
    private = Route(1, ("alpha.localhost",), ("g",), ("g",), (target,), internal=True)
    sockets = []
    for _ in range(2):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        sockets.append(listener)
    host_port, vpc_port = (s.getsockname()[1] for s in sockets)
    router = Router(lambda: RouteTable((private,)), interval=0.2, vpc_ports=frozenset({vpc_port}))
    uvicorn_server = server(router, host_port)
    task = asyncio.create_task(uvicorn_server.serve(sockets=sockets))
    try:
        await wait_for(lambda: asyncio.sleep(0, uvicorn_server.started))
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            outside = await client.get(f"http://127.0.0.1:{host_port}/", headers={"Host": "alpha.localhost"})
            inside = await client.get(f"http://127.0.0.1:{vpc_port}/", headers={"Host": "alpha.localhost"})
    finally:
        uvicorn_server.should_exit = True
        await task
    assert outside.status_code == 403
    assert "private endpoint" in outside.text
    assert inside.json()["name"] == "alpha"
