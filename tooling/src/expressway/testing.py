"""Test helpers shipped with expressway: a small valid registry to mutate (tests and peers)."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import tomlkit

BASE: dict[str, Any] = {
    "project": {"name": "homestack"},
    "environments": {
        "prod": {"region": "eu-west-1", "vpc": "default", "access": "public"},
        "local": {"region": "eu-west-1", "endpoint": "http://127.0.0.1:4566"},
    },
    "tables": {
        "sensors": {"partition_key": "sensor_id"},
        "readings": {"partition_key": "sensor_id", "sort_key": "ts", "ttl_attribute": "expires_at"},
    },
    "services": {
        "sensors": {
            "path": "services/sensors",
            "app": "homestack_sensors.app:app",
            "port": 8000,
            "health": "/health",
            "cpu": 1024,
            "memory": 2048,
            "scaling": {"min": 1, "max": 4, "metric": "cpu", "target": 60},
            "env": {"LOG_LEVEL": "info", "SENSOR_TABLE": "${tables.sensors.name}"},
            "tables": {"sensors": "read", "readings": "read"},
        },
        "ingest": {
            "path": "services/ingest",
            "app": "homestack_ingest.app:app",
            "cpu": 512,
            "memory": 1024,
            "secrets": {"INGEST_API_KEY": "ssm:/homestack/ingest/api-key"},
            "tables": {"sensors": "write", "readings": "write"},
        },
        "dashboard": {
            "path": "services/dashboard",
            "app": "homestack_dashboard.app:app",
            "env": {"SENSORS_URL": "${services.sensors.url}"},
        },
    },
}


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with `changes` merged in; a value of None deletes the key."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def registry_text(changes: dict[str, Any] | None = None) -> str:
    """A services.toml text: the valid base with `changes` merged in."""
    return tomlkit.dumps(merge(BASE, changes or {}))


VERSION = "0123456789abcdef0123456789abcdef01234567"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/homestack/sensors@sha256:" + "a" * 64


class FakeService:
    """Answers health checks as a deployed service would: 200 and the version it runs."""

    def __init__(self, version: str = VERSION) -> None:
        self.version = version
        self.status = 200
        self.urls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        return httpx.Response(self.status, json={"status": "ok", "version": self.version})
