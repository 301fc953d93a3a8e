"""Reading services.toml: TOML -> validated Registry, every problem one `file: path: why` line.

Whatever the text holds, the answer is a Registry or a ConfigError: never a RecursionError from
nesting, a ValueError from a 5000-digit number, or a traceback.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from expressway.errors import ConfigError
from expressway.registry.checks import check
from expressway.registry.forms import dotted, short
from expressway.registry.models import Registry
from expressway.registry.workspace import Workspace, find_workspace

# services.X.environments.E.scaling.min is the deepest valid value (6 levels): past this nothing is
# valid, and stopping here keeps every later step (JSON, pydantic) far from Python's recursion limit.
MAX_DEPTH = 8
# "Arbitrary 64-bit signed integers ... should be accepted and handled losslessly. If an integer cannot
# be represented losslessly, an error must be thrown." (TOML 1.0.0: https://toml.io/en/v1.0.0#integer)
INT64 = range(-(2**63), 2**63)
_LONG_NUMBER = re.compile(r"[0-9a-fA-F_]{4000,}")


def _location(loc: tuple[int | str, ...]) -> str:
    return dotted(*(part for part in loc if not str(part).startswith("function-")))


def _message(error: Any) -> str:
    kind, msg, value = error["type"], error["msg"], error.get("input")
    if kind == "value_error":
        return str(msg).removeprefix("Value error, ")
    if kind == "missing":
        return "is required"
    if kind == "literal_error":
        return f"{short(value)} is not valid; use {str(msg).removeprefix('Input should be ')}"
    return f"{msg[0].lower()}{msg[1:]} (got {short(value)})"


def _shape(raw: dict[str, Any]) -> list[str]:
    """`path: why` for what no field takes: dates and times, integers past 64 bits, deep nesting.
    Walked with a stack, in document order, so no document is too deep to look at."""
    problems: list[str] = []
    todo: list[tuple[tuple[str | int, ...], Any]] = [((key,), value) for key, value in reversed(raw.items())]
    while todo:
        path, value = todo.pop()
        where = dotted(*path)
        if isinstance(value, dict | list):
            if len(path) >= MAX_DEPTH:
                problems.append(f"{where}: nested deeper than {MAX_DEPTH} levels; no valid value is")
                continue
            items = list(value.items() if isinstance(value, dict) else enumerate(value))
            todo += [((*path, key), item) for key, item in reversed(items)]
        elif isinstance(value, date | time):  # a datetime is a date too; JSON could not even carry one
            problems.append(f"{where}: a TOML date or time is not valid here")
        elif isinstance(value, int) and not isinstance(value, bool) and value not in INT64:
            problems.append(f"{where}: an integer beyond the 64 bits TOML allows")
    return problems


def _line_of(text: str, found: re.Match[str] | None) -> str:
    return f"line {text.count(chr(10), 0, found.start()) + 1}: " if found else ""


def _read_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{source}: not valid TOML: {exc}"]) from exc
    except RecursionError as exc:  # Python's parser recurses once per nested array or inline table
        lines = text.splitlines()
        deepest = max(range(len(lines)), key=lambda n: lines[n].count("[") + lines[n].count("{"), default=0)
        where = f"line {deepest + 1}: " if lines else ""
        raise ConfigError(
            [f"{source}: {where}arrays or inline tables nested too deeply to read; no valid value is"]
        ) from exc
    except ValueError as exc:  # a number of more digits than Python converts (sys.int_info)
        where = _line_of(text, _LONG_NUMBER.search(text))
        raise ConfigError(
            [f"{source}: {where}a number of thousands of digits; TOML integers are 64-bit"]
        ) from exc


def parse(text: str, source: str = "services.toml", workspace: Workspace | None = None) -> Registry:
    """Parse and validate registry text; every problem becomes one `source: path: why` line. With a
    `workspace`, each service's `path` must also be one of its members' folders."""
    raw = _read_toml(text, source)
    shaped = _shape(raw)
    if shaped:
        raise ConfigError([f"{source}: {problem}" for problem in shaped])
    try:
        # Through JSON so strict mode accepts TOML arrays for tuples and nothing gets coerced.
        registry = Registry.model_validate_json(json.dumps(raw))
    except ValidationError as exc:
        problems = [
            ": ".join(p for p in (source, _location(e["loc"]), _message(e)) if p) for e in exc.errors()
        ]
        raise ConfigError(problems, hint="`expressway schema` prints what is valid") from exc
    problems = [f"{source}: {p}" for p in check(registry, workspace)]
    if problems:
        raise ConfigError(problems)
    return registry


def load(path: Path) -> Registry:
    """Read and validate the registry file at `path`; service paths are checked against the uv
    workspace of its folder (registry/workspace.py)."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError([f"cannot read {path}: {why}"], hint="run from the repository root") from exc
    return parse(text, path.name, find_workspace(path.parent))
