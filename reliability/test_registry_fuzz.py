"""Hypothesis-made services.toml documents, valid and broken: `expressway.registry.parse` returns a model
or raises a ConfigError whose every line names the file and where; never any other exception. What it
accepts is safe to put into AWS names, a Dockerfile and a path on disk: no name ends in a newline, no
`path` leaves the repository. Beside the fuzzing, the shapes a hostile review sent: names with a
trailing newline, paths out of the repository, 2000 nested arrays, integers of 5000 digits."""

from __future__ import annotations

import copy
import os
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
from expressway.registry import Registry, load, parse
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
        # what a hostile edit tries: a name, variable or reference with a trailing newline, a path
        # out of the repository, a Dockerfile line smuggled into the base image
        "homestack\n",
        "dash\n",
        "LOG_LEVEL\n",
        "ssm:/x\n",
        "/health\n",
        "../../../../root",
        "/root",
        "services/../../etc",
        "python:3.12-slim\nRUN id",
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
    st.sampled_from(
        ["cpu", "memory", "env", "secrets", "tables", "scaling", "porrt", "prod", "x", "a-b", "prod\n"]
    ),
    st.text(max_size=10),
)
# Whole lines spliced into the text: nesting past any parser's stack, integers past any int64.
SPLICED = st.sampled_from(
    [
        "deep = " + "[" * 2000 + "]" * 2000 + "\n",
        "deep = " + "[" * 2000 + "\n",
        "deep = " + "{ a = " * 300 + "1" + " }" * 300 + "\n",
        "big = " + "9" * 5000 + "\n",
        "big = 0x" + "f" * 5000 + "\n",
        "big = " + str(2**64) + "\n",
    ]
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
    corrupt = draw(st.integers(min_value=0, max_value=19))
    if corrupt < 2:  # one in ten: break the TOML itself
        at = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:at] + draw(st.text(max_size=6)) + text[at + draw(st.integers(0, 3)) :]
        retyped = None
    elif corrupt == 2:  # one in twenty: a line no sane registry holds, at the top or inside a table
        lines = text.splitlines(keepends=True)
        at = draw(st.integers(min_value=0, max_value=len(lines)))
        text = "".join([*lines[:at], draw(SPLICED), *lines[at:]])
        retyped = None
    return text, retyped


# What an accepted registry may hold where it becomes an AWS name, a Dockerfile line or a path.
SAFE_NAME = re.compile(r"[a-z][a-z0-9-]*", re.ASCII)
SAFE_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)


def _assert_safe(registry: Registry) -> None:
    """An accepted registry never carries a control character or a space into what expressway builds
    from it, and every `path` stays inside the repository."""
    assert SAFE_NAME.fullmatch(registry.project.name), registry.project.name
    for name in [*registry.environments, *registry.tables, *registry.services]:
        assert SAFE_NAME.fullmatch(name), name
    for service in registry.services.values():
        layers = [service, *service.environments.values()]
        for layer in layers:
            for variable in [*layer.env, *layer.secrets]:
                assert SAFE_VARIABLE.fullmatch(variable), variable
            for text in [*layer.secrets.values(), layer.base_image or "", layer.health or "/"]:
                assert text.isprintable(), text
                assert not any(c.isspace() for c in text), text
        assert not service.path.startswith("/"), service.path
        assert ".." not in service.path.split("/"), service.path
        assert service.path.isprintable(), service.path
        assert "\\" not in service.path, service.path


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
        _assert_safe(registry)
        figures.count("registry documents accepted")
        return
    figures.count("registry documents refused")
    assert problems, "an error with no problem in it"
    for line in problems:
        assert PROBLEM.match(line), f"problem without the file and a path: {line!r}"
        assert "\n" not in line, f"one problem printed as two lines: {line!r}"
    if retyped is not None:  # one leaf got a value of another type: some line names it or a parent
        prefixes = {".".join(retyped[:n]) for n in range(1, len(retyped) + 1)}
        assert any(p in line for line in problems for p in prefixes), (retyped, problems)


def test_the_repository_registry_and_its_round_trip_parse() -> None:
    """The fuzz starts from the real file, so that file (and its re-serialised form) must be valid."""
    assert parse(tomli_w.dumps(BASE)) == parse((ROOT / "services.toml").read_text())


REFUSED = [
    pytest.param('name = "homestack"', 'name = "homestack\\n"', "project.name", id="project-name-newline"),
    pytest.param(
        "[services.dashboard.environments.local]",
        '[services."dash\\n".environments.local]',
        "services.'dash\\n'",
        id="service-key-newline",
    ),
    pytest.param(
        "[environments.prod]", '[environments."prod\\n"]', "environments.'prod\\n'", id="env-newline"
    ),
    pytest.param("[tables.sensors]", '[tables."sensors\\n"]', "tables.'sensors\\n'", id="table-newline"),
    pytest.param("LOG_LEVEL = ", '"LOG_LEVEL\\n" = ', "services.sensors", id="env-var-newline"),
    pytest.param(
        '"ssm:/homestack/ingest/api-key"', '"ssm:/x\\n"', "services.ingest.secrets", id="secret-newline"
    ),
    pytest.param(
        'path = "services/sensors"', 'path = "../../../../root"', "services.sensors.path", id="path-up"
    ),
    pytest.param('path = "services/sensors"', 'path = "/root"', "services.sensors.path", id="path-absolute"),
    pytest.param(
        'path = "services/sensors"', 'path = "services/../../x"', "services.sensors.path", id="path-dotdot"
    ),
    pytest.param(
        'name = "homestack"',
        'name = "homestack"\nbase_image = "python:3.12-slim\\nRUN curl -s x | sh"',
        "project.base_image",
        id="base-image-dockerfile-line",
    ),
    pytest.param('health = "/health"', 'health = "/health\\n"', "services.sensors.health", id="health-nl"),
    pytest.param(
        'region = "eu-west-1"', 'region = "eu-west-1\\n"', "environments.prod.region", id="region-nl"
    ),
    pytest.param(
        'app = "homestack_sensors.app:app"', 'app = "m:app\\n"', "services.sensors.app", id="app-nl"
    ),
    pytest.param('cluster = "homestack-prod"', 'cluster = "a b"', "environments.prod.cluster", id="cluster"),
    pytest.param("cpu = 1024", "cpu = " + "9" * 5000, "line ", id="int-5000-digits"),
    pytest.param("cpu = 1024", "cpu = 0x" + "f" * 5000, "services.sensors.cpu", id="hex-5000-digits"),
    pytest.param("cpu = 1024", "cpu = " + "[" * 2000 + "]" * 2000, "line ", id="arrays-2000"),
    pytest.param("cpu = 1024", "cpu = " + "[" * 2000, "line ", id="arrays-2000-unclosed"),
    pytest.param("cpu = 1024", "cpu = " + "{a=" * 400 + "1" + "}" * 400, "line ", id="tables-400"),
]


@pytest.mark.parametrize(("old", "new", "where"), REFUSED)
def test_what_a_hostile_review_sent_is_refused_naming_file_and_where(
    old: str, new: str, where: str, figures: Figures
) -> None:
    text = (ROOT / "services.toml").read_text()
    assert old in text
    figures.count("cases tried")
    with pytest.raises(ConfigError) as caught:
        parse(text.replace(old, new, 1))
    problems = caught.value.problems
    assert problems
    for line in problems:
        assert PROBLEM.match(line), f"problem without the file and a path: {line!r}"
        assert "\n" not in line, f"one problem printed as two lines: {line!r}"
        assert len(line) < 400, f"a problem line echoes the whole input: {line[:200]!r}..."
    assert any(where in line for line in problems), problems


def _workspace(root: Path, service_path: str) -> Path:
    """A repository with this one's pyproject.toml and folders, and services.toml with sensors at `path`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    for member in ("services/sensors", "services/ingest", "services/dashboard", "libs/common"):
        (root / member).mkdir(parents=True)
        (root / member / "pyproject.toml").write_text(f'[project]\nname = "{member.replace("/", "-")}"\n')
    (root / "harness").mkdir()
    text = (ROOT / "services.toml").read_text()
    (root / "services.toml").write_text(text.replace('"services/sensors"', f'"{service_path}"', 1))
    return root / "services.toml"


@pytest.mark.parametrize(
    "service_path",
    [
        pytest.param("harness", id="a-folder-that-is-no-member"),
        pytest.param("services/nothing", id="a-folder-that-does-not-exist"),
        pytest.param("services/outside", id="a-member-glob-match-linking-out-of-the-repository"),
    ],
)
def test_load_accepts_only_a_workspace_members_folder(tmp_path: Path, service_path: str) -> None:
    root = tmp_path / "repo"
    registry_file = _workspace(root, service_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "pyproject.toml").write_text('[project]\nname = "elsewhere"\n')
    os.symlink(outside, root / "services" / "outside")
    assert (
        load(_workspace(tmp_path / "good", "services/sensors")).services["sensors"].path == "services/sensors"
    )
    with pytest.raises(ConfigError) as caught:
        load(registry_file)
    assert [line for line in caught.value.problems if "services.sensors.path" in line], caught.value.problems
    assert all(PROBLEM.match(line) for line in caught.value.problems), caught.value.problems
