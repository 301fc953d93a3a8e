"""The runtime's line to the emulator's control endpoints (agent reports, identities), authorized
with the session's control token from the owner-only state file."""

from __future__ import annotations

from typing import Any

import httpx

AGENT = "/moto-api/expressway/agent"
IDENTITIES = "/moto-api/expressway/identities"
CONFIG = "/moto-api/expressway/config"


class ControlError(Exception):
    pass


class Control:
    """Async calls to one emulator server's control endpoints."""

    def __init__(self, endpoint: str, token: str) -> None:
        self.endpoint = endpoint
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # trust_env=False: never through a proxy; the emulator is reached directly on loopback
        self._client = httpx.AsyncClient(base_url=endpoint, headers=headers, timeout=30.0, trust_env=False)

    async def close(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            answer = await self._client.request(method, path, json=body)
        except httpx.HTTPError as error:
            raise ControlError(f"{method} {path}: {type(error).__name__}: {error}") from error
        if answer.status_code != 200:
            raise ControlError(f"{method} {path}: HTTP {answer.status_code}: {answer.text[:300]}")
        return answer.json()

    async def ready(self) -> bool:
        try:
            await self._call("GET", CONFIG)
        except ControlError:
            return False
        return True

    async def tasks(self) -> list[dict[str, Any]]:
        """What the emulator wants run (and stopped), with the launch of each task to start."""
        found: list[dict[str, Any]] = (await self._call("GET", AGENT))["tasks"]
        return found

    async def report(self, task: str, event: str, **fields: Any) -> None:
        await self._call("POST", AGENT, {"task": task, "event": event, **fields})

    async def identity(self, name: str, policy: dict[str, Any]) -> None:
        """Make the IAM user `name` with exactly `policy` (or give it that policy)."""
        await self._call("POST", IDENTITIES, {"name": name, "policy": policy})
