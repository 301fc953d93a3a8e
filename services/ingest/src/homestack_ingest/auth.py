"""API-key authentication: several keys for rotation, constant-time checks, keys never echoed."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from fastapi import Request

from homestack_common import ApiError, ConfigurationError

MIN_KEY_LENGTH = 16
_KEY_CHARS = re.compile(r"[\x21-\x7e]+")  # visible ASCII: what fits in a header unchanged
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="ingest"'}


# The service is configured so that it must not start; the message says why and how to fix it.
ConfigError = ConfigurationError


@dataclass(frozen=True)
class ApiKeys:
    """The accepted keys, as bytes for hmac.compare_digest."""

    keys: tuple[bytes, ...]

    @classmethod
    def parse(cls, raw: str | None) -> ApiKeys:
        """Read INGEST_API_KEY; raise ConfigError (never naming a key) when it is unusable."""
        hint = f"set it to one or more keys of at least {MIN_KEY_LENGTH} characters, comma-separated"
        keys = [k for k in re.split(r"[,\s]+", raw or "") if k]
        if not keys:
            raise ConfigError("ingest cannot start: INGEST_API_KEY is not set or empty", hint=hint)
        for number, key in enumerate(keys, start=1):
            if len(key) < MIN_KEY_LENGTH:
                raise ConfigError(
                    f"ingest cannot start: key {number} of {len(keys)} in INGEST_API_KEY has {len(key)} "
                    f"characters, fewer than {MIN_KEY_LENGTH}",
                    hint=hint,
                )
            if not _KEY_CHARS.fullmatch(key):
                raise ConfigError(
                    f"ingest cannot start: key {number} of {len(keys)} in INGEST_API_KEY has characters "
                    "other than visible ASCII",
                    hint="use letters, digits and punctuation only",
                )
        return cls(tuple(k.encode("ascii") for k in keys))

    def accepts(self, presented: str) -> bool:
        """True if `presented` is one of the keys; compares against every key, in constant time each."""
        candidate = presented.encode("latin-1", errors="replace")
        matched = False
        for key in self.keys:
            matched |= hmac.compare_digest(candidate, key)  # no short-circuit: time does not reveal which
        return matched


def _presented(request: Request) -> list[str | None]:
    """Every credential in the request; None stands for one that is malformed (e.g. another scheme)."""
    found: list[str | None] = []
    for value in request.headers.getlist("authorization"):
        scheme, _, token = value.strip().partition(" ")
        found.append(token.strip() if scheme.lower() == "bearer" and token.strip() else None)
    found.extend(value.strip() or None for value in request.headers.getlist("x-api-key"))
    return found


async def require_api_key(request: Request) -> None:
    """FastAPI dependency: 401 unless every credential presented is a valid key (at least one needed)."""
    keys: ApiKeys = request.app.state.ingest.keys
    presented = _presented(request)
    if not presented:
        raise ApiError(
            401,
            "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            headers=CHALLENGE,
        )
    # Every credential must be valid, so a request with one good and one bad key is still refused.
    results = [key is not None and keys.accepts(key) for key in presented]
    if not all(results):
        raise ApiError(
            401,
            "invalid API key: the key is not accepted; hint: use 'Authorization: Bearer <key>' "
            "with a current key",
            headers=CHALLENGE,
        )
