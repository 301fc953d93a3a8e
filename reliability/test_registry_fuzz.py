"""Hypothesis-made services.toml documents, valid and broken: `expressway.registry.parse` returns a model
or raises a ConfigError whose every line names the file and where; never any other exception."""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from expressway.errors import ConfigError
from expressway.registry import Registry, parse
from reliability.figures import Figures

ROOT = Path(__file__).resolve().parents[1]
BASE: dict[str, Any] = tomllib.loads((ROOT / "services.toml").read_text())
SEED = 20261126
# Every problem line starts with the file, then (for anything below the top) the dotted path.
PROBLEM = re.compile(r"^services\.toml: \S")

# Values a hand-edited registry plausibly holds, valid and not, beside arbitrary ones.
LIKELY = st.sampled_from(
    [
        "${tables.sensors.name}",
        "${tables.nope.name}",
        "${services.sensors.url}",
        "${services.dashboard.url}",
        "${services.ingest.url",
        "${}",
        "ssm:/homestack/key",
        "arn:aws:ssm:eu-west-1:1:parameter/x",
        "plain-secret",
        "eu-west-1",
        "mars-north-9",
        "vpc-0abc",
        "default",
        "private",
        "read",
        "write",
        "admin",
        "pkg.mod:app",
        "/health",
        "health",
        "",
        256,
        300,
        512,
        1024,
        16384,
        0,
        -1,
        65536,
        2**63 - 1,
        1.5,
        float("inf"),
        float("nan"),
        True,
    ]
)
SCALARS: st.SearchStrategy[Any] = st.one_of(
    LIKELY,
    st.text(max_size=12),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.times(),
    st.datetimes(timezones=st.just(UTC)),
)
VALUES: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
KEYS = st.one_of(
    st.sampled_from(["cpu", "memory", "env", "secrets", "tables", "scaling", "porrt", "prod", "x", "a-b"]),
    st.text(max_size=10),
)


def _nodes(doc: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every key path in the document, tables and leaves (not inside arrays)."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield (*path, key)
            yield from _nodes(value, (*path, key))


def _parent(doc: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node = doc
    for key in path[:-1]:
        node = node[key]
    return node


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, tuple[str, ...] | None]:
    """A services.toml text: the repository's own, after 0-4 edits, sometimes with its text corrupted.
    Also returns the path of the leaf whose type a single edit changed (its error must name it)."""
    doc = copy.deepcopy(BASE)
    edits = draw(st.integers(min_value=0, max_value=4))
    retyped: tuple[str, ...] | None = None
    for _ in range(edits):
        path = draw(st.sampled_from(list(_nodes(doc)) or [("project",)]))
        parent = _parent(doc, path)
        if path[-1] not in parent:
            continue
        action = draw(st.sampled_from(["delete", "replace", "add", "rename"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            old, new = parent[path[-1]], draw(VALUES)
            parent[path[-1]] = new
            if edits == 1 and not isinstance(old, dict) and type(old) is not type(new):
                retyped = path
        elif action == "add" and isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(KEYS)] = draw(VALUES)
        elif action == "rename":
            parent[draw(KEYS)] = parent.pop(path[-1])
    text = tomli_w.dumps(doc)
    if draw(st.integers(min_value=0, max_value=9)) == 0:  # one in ten: break the TOML itself
        at = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:at] + draw(st.text(max_size=6)) + text[at + draw(st.integers(0, 3)) :]
        retyped = None
    return text, retyped


@pytest.mark.slow
@given(document=documents())
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@seed(SEED)
def test_any_registry_text_gives_a_model_or_an_error_naming_where(
    document: tuple[str, tuple[str, ...] | None], figures: Figures
) -> None:
    text, retyped = document
    figures.count("cases tried")
    # Anything but a model or a ConfigError (another exception, even another ExpresswayError) fails here.
    try:
        registry: Registry | None = parse(text)
    except ConfigError as exc:
        registry, problems = None, exc.problems
    if registry is not None:
        figures.count("registry documents accepted")
        return
    figures.count("registry documents refused")
    assert problems, "an error with no problem in it"
    for line in problems:
        assert PROBLEM.match(line), f"problem without the file and a path: {line!r}"
    if retyped is not None:  # one leaf got a value of another type: some line names it or a parent
        prefixes = {".".join(retyped[:n]) for n in range(1, len(retyped) + 1)}
        assert any(p in line for line in problems for p in prefixes), (retyped, problems)


def test_the_repository_registry_and_its_round_trip_parse() -> None:
    """The fuzz starts from the real file, so that file (and its re-serialised form) must be valid."""
    assert parse(tomli_w.dumps(BASE)) == parse((ROOT / "services.toml").read_text())
