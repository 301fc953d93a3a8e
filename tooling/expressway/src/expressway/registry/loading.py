"""Reading services.toml: TOML -> validated Registry, every problem one `file: path: why` line."""

from __future__ import annotations

import json
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from expressway.errors import ConfigError
from expressway.registry.checks import check
from expressway.registry.models import Registry


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc if not str(part).startswith("function-"))


def _message(error: Any) -> str:
    kind, msg, value = error["type"], error["msg"], error.get("input")
    if kind == "value_error":
        return str(msg).removeprefix("Value error, ")
    if kind == "missing":
        return "is required"
    if kind == "literal_error":
        return f"{value!r} is not valid; use {str(msg).removeprefix('Input should be ')}"
    return f"{msg[0].lower()}{msg[1:]} (got {value!r})"


def _dates(raw: Any, path: str = "") -> list[str]:
    if isinstance(raw, dict):
        return [p for key, value in raw.items() for p in _dates(value, f"{path}.{key}".lstrip("."))]
    if isinstance(raw, list):
        return [p for index, value in enumerate(raw) for p in _dates(value, f"{path}.{index}")]
    return [path] if isinstance(raw, date | time) else []  # a datetime is a date too


def parse(text: str, source: str = "services.toml") -> Registry:
    """Parse and validate registry text; every problem becomes one `source: path: why` line."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{source}: not valid TOML: {exc}"]) from exc
    dated = _dates(raw)
    if dated:  # no field takes a TOML date or time, and JSON below could not even carry one
        raise ConfigError([f"{source}: {path}: a TOML date or time is not valid here" for path in dated])
    try:
        # Through JSON so strict mode accepts TOML arrays for tuples and nothing gets coerced.
        registry = Registry.model_validate_json(json.dumps(raw))
    except ValidationError as exc:
        problems = [
            ": ".join(p for p in (source, _location(e["loc"]), _message(e)) if p) for e in exc.errors()
        ]
        raise ConfigError(problems, hint="`expressway schema` prints what is valid") from exc
    problems = [f"{source}: {p}" for p in check(registry)]
    if problems:
        raise ConfigError(problems)
    return registry


def load(path: Path) -> Registry:
    """Read and validate the registry file at `path`."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(
            [f"cannot read {path}: {exc.strerror}"], hint="run from the repository root"
        ) from exc
    return parse(text, path.name)
