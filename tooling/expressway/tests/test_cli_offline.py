"""The offline commands through the CLI: validate, schema, and errors without tracebacks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from expressway.cli import main
from expressway.console import Console
from expressway.registry import schema
from expressway.testing import registry_text

ROOT = Path(__file__).resolve().parents[3]


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Console(out, err))
    return code, out.getvalue(), err.getvalue()


def test_validate_prints_counts_and_deploy_order(registry_file: Path) -> None:
    code, out, err = _run(["--registry", str(registry_file), "validate"])
    assert code == 0
    assert "valid: 3 services, 2 tables, 2 environments" in out
    order = out.rsplit("deploy order: ", 1)[1].strip().split(", ")
    assert order.index("sensors") < order.index("dashboard")
    assert err == ""


def test_validate_json_is_machine_readable(registry_file: Path) -> None:
    code, out, _ = _run(["--registry", str(registry_file), "validate", "--json"])
    assert code == 0
    assert json.loads(out)["valid"] is True


def test_invalid_registry_exits_1_with_every_problem_and_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "services.toml"
    path.write_text(registry_text({"services": {"sensors": {"cpu": 300, "health": "x"}}}))
    code, out, err = _run(["--registry", str(path), "validate"])
    assert code == 1
    assert out == ""
    assert err.startswith("error: services.toml: services.sensors.cpu: 300 is not a Fargate size")
    assert "services.sensors.health: 'x' must start with '/'" in err
    assert "Traceback" not in err


def test_registry_is_found_in_a_parent_folder(registry_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nested = registry_file.parent / "a" / "b"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    assert _run(["validate"])[0] == 0


def test_missing_registry_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 1
    err = capsys.readouterr().err
    assert "error: services.toml not found" in err
    assert "hint: run from the repository, or pass --registry PATH" in err


def test_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "services.schema.json").read_text())
    assert committed == schema(), "regenerate: expressway schema > services.schema.json"


def test_schema_command_prints_the_schema_and_forbids_unknown_keys() -> None:
    code, out, _ = _run(["schema"])
    document = json.loads(out)
    assert code == 0
    assert document["additionalProperties"] is False
    assert set(document["properties"]) == {"project", "environments", "tables", "services"}


def test_a_bad_command_line_exits_1_not_argparses_2_which_plan_uses_for_changes() -> None:
    code, out, err = _run(["plan", "--bogus"])
    assert code == 1
    assert out == ""
    assert err.startswith("error: expressway: unrecognized arguments: --bogus")
    assert "hint: `expressway --help`" in err
