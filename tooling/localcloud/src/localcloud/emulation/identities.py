"""The callers the local cloud knows: IAM users in moto's IAM, each with one access key and one
inline policy. Their keys are made once per server process and survive moto's reset (the users are
made again, with the same keys, when a reset has wiped IAM), so a client's credentials stay valid."""

from __future__ import annotations

import json
import secrets
import string
import threading
from dataclasses import dataclass
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iam.models import AccessKey, iam_backends

ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
POLICY_NAME = "localcloud"
_KEY_CHARS = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Identity:
    """One caller: an IAM user, its access key and its (only) inline policy."""

    name: str
    access_key_id: str
    secret_access_key: str
    policy: dict[str, Any]
    account: str = DEFAULT_ACCOUNT_ID
    partition: str = "aws"

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:user/{self.name}"

    def to_json(self) -> dict[str, str]:
        return {
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "arn": self.arn,
        }


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.known: dict[str, Identity] = {}


_REGISTRY = _Registry()


def define(name: str, policy: dict[str, Any]) -> Identity:
    """Make (or give a new policy to) the user `name`; its key is made the first time only."""
    with _REGISTRY.lock:
        old = _REGISTRY.known.get(name)
        identity = Identity(
            name,
            old.access_key_id if old else "AKIA" + "".join(secrets.choice(_KEY_CHARS) for _ in range(16)),
            old.secret_access_key if old else secrets.token_urlsafe(30)[:40],
            policy,
        )
        _REGISTRY.known[name] = identity
        _materialize(identity)
        return identity


def known() -> dict[str, Identity]:
    with _REGISTRY.lock:
        return dict(_REGISTRY.known)


def ensure() -> None:
    """Make every identity's user again if moto's reset wiped IAM (cheap when nothing is missing)."""
    with _REGISTRY.lock:
        for identity in _REGISTRY.known.values():
            backend = iam_backends[identity.account][identity.partition]
            if identity.access_key_id not in backend.access_keys:
                _materialize(identity)


def forget() -> None:
    """Drop every identity (tests)."""
    with _REGISTRY.lock:
        _REGISTRY.known.clear()


def _materialize(identity: Identity) -> None:
    backend = iam_backends[identity.account][identity.partition]
    if identity.name not in backend.users:
        backend.create_user("us-east-1", identity.name, path="/")
    backend.put_user_policy(identity.name, POLICY_NAME, json.dumps(identity.policy))
    if identity.access_key_id in backend.access_keys:
        return
    user = backend.users[identity.name]
    key = AccessKey(identity.name, prefix="AKIA", account_id=identity.account)  # type: ignore[abstract]
    key.access_key_id = identity.access_key_id
    key.secret_access_key = identity.secret_access_key
    user.access_keys.append(key)
    backend.access_keys[key.access_key_id] = key
