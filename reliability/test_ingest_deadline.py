"""A DynamoDB that accepts connections and never answers: ingest still answers within its write deadline
plus a second (503 naming every reading as not stored), so a load balancer's idle timeout never turns
the answer into a 504 the device cannot act on."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
from harness.servers import uvicorn_app

from homestack_sensordata.faults import silent_endpoint
from reliability.figures import Figures
from reliability.fleet import KEY, service_env

DEADLINE = 4.0
REQUESTS, READINGS = 4, 250


def _batch(request: int) -> dict[str, Any]:
    now = int(time.time())
    return {
        "readings": [
            {"sensor_id": f"silent-{request}", "ts": now - n, "values": {"temperature": 20.0}}
            for n in range(READINGS)
        ]
    }


async def _post_all(url: str) -> list[tuple[float, httpx.Response]]:
    async with httpx.AsyncClient(base_url=url, timeout=120, headers={"X-API-Key": KEY}) as http:

        async def timed(request: int) -> tuple[float, httpx.Response]:
            started = time.monotonic()
            response = await http.post("/readings", json=_batch(request))
            return time.monotonic() - started, response

        return await asyncio.gather(*(timed(n) for n in range(REQUESTS)))


def test_a_database_that_never_answers_gets_a_503_within_the_deadline_plus_a_second(
    tmp_path: Path, figures: Figures
) -> None:
    with silent_endpoint() as dynamodb:
        env = service_env(dynamodb, INGEST_API_KEY=KEY, WRITE_DEADLINE_SECONDS=str(DEADLINE))
        with uvicorn_app("homestack_ingest.app:app", env=env, log=tmp_path / "ingest.log") as ingest:
            answers = asyncio.run(_post_all(ingest))
    slowest = max(seconds for seconds, _ in answers)
    figures.count("faults injected")
    figures.note(
        f"DynamoDB that never answers, WRITE_DEADLINE_SECONDS={DEADLINE:g}: {REQUESTS} requests of "
        f"{READINGS} readings answered {sorted({r.status_code for _, r in answers})} after at most "
        f"{slowest:.1f} s (bound {DEADLINE + 1:g} s)"
    )
    for seconds, response in answers:
        assert seconds <= DEADLINE + 1, f"answered after {seconds:.1f} s"
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"]
        body = response.json()
        assert body["stored"] == 0
        assert sorted(item["index"] for item in body["not_stored"]) == list(range(READINGS))
        assert all(item["retryable"] for item in body["not_stored"])
