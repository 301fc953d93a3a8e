"""Credentials for an image registry (a value the ECR gateway hands out and the builders take)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RegistryAuth:
    """Credentials for one registry, e.g. `AWS` and the password from an ECR token (never in repr)."""

    username: str
    password: str = field(repr=False)
