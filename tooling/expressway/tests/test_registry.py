"""services.toml validation: every rule's message is pinned, and valid files load as models."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Any

import pytest

from expressway import registry
from expressway.errors import ConfigError, UsageError
from expressway.registry import parse, resolve
from expressway.testing import registry_text

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {"services": {"sensors": {"cpu": 300}}},
            "services.toml: services.sensors.cpu: 300 is not a Fargate size; "
            "use 256, 512, 1024, 2048, 4096, 8192 or 16384",
            id="cpu-not-fargate",
        ),
        pytest.param(
            {"services": {"sensors": {"cpu": 256, "memory": 4096}}},
            "services.toml: services.sensors.memory: 4096 does not fit cpu 256; use 512, 1024 or 2048",
            id="memory-does-not-fit-cpu",
        ),
        pytest.param(
            {"services": {"sensors": {"cpu": 1024, "memory": 1024}}},
            "services.toml: services.sensors.memory: 1024 does not fit cpu 1024; "
            "use 2048, 3072, 4096, 5120, 6144, 7168 or 8192",
            id="memory-too-small",
        ),
        pytest.param(
            {"services": {"sensors": {"port": 70000}}},
            "services.toml: services.sensors.port: 70000 is out of range; use 1 to 65535",
            id="port-range",
        ),
        pytest.param(
            {"services": {"sensors": {"health": "health"}}},
            "services.toml: services.sensors.health: 'health' must start with '/'",
            id="health-slash",
        ),
        pytest.param(
            {"services": {"sensors": {"cpus": 1}}},
            "services.toml: services.sensors: unknown key 'cpus'; did you mean 'cpu'? valid keys: "
            "app, architecture, base_image, cpu, env, environments, generate_secrets, health, memory, "
            "path, port, scaling, secrets, tables",
            id="unknown-key-suggests",
        ),
        pytest.param(
            {"bogus": {}},
            "services.toml: unknown key 'bogus'; valid keys: environments, project, services, tables",
            id="unknown-top-level-key",
        ),
        pytest.param(
            {"services": {"sensors": {"path": None}}},
            "services.toml: services.sensors.path: is required",
            id="missing-path",
        ),
        pytest.param(
            {"services": {"sensors": {"port": "8000"}}},
            "services.toml: services.sensors.port: input should be a valid integer (got '8000')",
            id="port-not-coerced-from-string",
        ),
        pytest.param(
            {"environments": {"prod": {"access": "internal"}}},
            "services.toml: environments.prod.access: 'internal' is not valid; use 'public' or 'private'",
            id="access-literal",
        ),
        pytest.param(
            {"services": {"sensors": {"architecture": "amd64"}}},
            "services.toml: services.sensors.architecture: 'amd64' is not valid; use 'x86_64' or 'arm64'",
            id="architecture-literal",
        ),
        pytest.param(
            {"environments": {"prod": {"region": "europe"}}},
            "services.toml: environments.prod.region: 'europe' is not an AWS region; use e.g. 'eu-west-1'",
            id="region",
        ),
        pytest.param(
            {"environments": {"prod": {"vpc": "main"}}},
            "services.toml: environments.prod.vpc: 'main' is not a VPC; "
            "use 'default' or an id like 'vpc-0abc'",
            id="vpc",
        ),
        pytest.param(
            {"environments": {"prod": {"subnets": ["subnet-0a"]}}},
            "services.toml: environments.prod.subnets: "
            "Express Mode needs at least 2 subnets in different zones",
            id="one-subnet",
        ),
        pytest.param(
            {"services": {"sensors": {"scaling": {"min": 3, "max": 2}}}},
            "services.toml: services.sensors.scaling: max 2 is below min 3",
            id="scaling-bounds",
        ),
        pytest.param(
            {"services": {"sensors": {"scaling": {"metric": "cpu", "target": 120}}}},
            "services.toml: services.sensors.scaling: target 120 is above 100 for metric 'cpu'",
            id="scaling-target",
        ),
        pytest.param(
            {"services": {"sensors": {"tables": {"events": "read"}}}},
            "services.toml: services.sensors.tables.events: no such table; known tables: readings, sensors",
            id="unknown-table",
        ),
        pytest.param(
            {"services": {"sensors": {"tables": {"sensors": "admin"}}}},
            "services.toml: services.sensors.tables.sensors: 'admin' is not valid; use 'read' or 'write'",
            id="table-access",
        ),
        pytest.param(
            {"services": {"ingest": {"secrets": {"INGEST_API_KEY": "hunter2"}}}},
            "services.toml: services.ingest.secrets.INGEST_API_KEY: 'hunter2' is not a secret "
            "reference; use 'ssm:/parameter/name' or a Secrets Manager ARN",
            id="secret-not-a-reference",
        ),
        pytest.param(
            {"services": {"ingest": {"env": {"INGEST_API_KEY": "x"}}}},
            "services.toml: services.ingest.secrets.INGEST_API_KEY: also set in env; "
            "a variable is one or the other",
            id="secret-and-env",
        ),
        pytest.param(
            {"services": {"dashboard": {"env": {"SENSORS_URL": "${services.sensor.url}"}}}},
            "services.toml: services.dashboard.env.SENSORS_URL: '${services.sensor.url}' names "
            "no such service; known: dashboard, ingest, sensors",
            id="reference-missing-service",
        ),
        pytest.param(
            {"services": {"sensors": {"env": {"T": "${tables.sensors.arn}"}}}},
            "services.toml: services.sensors.env.T: '${tables.sensors.arn}' is not a reference; "
            "use '${tables.<table>.name}' or '${services.<service>.url}'",
            id="reference-unknown-form",
        ),
        pytest.param(
            {"services": {"sensors": {"env": {"ME": "${services.sensors.url}"}}}},
            "services.toml: services.sensors.env.ME: '${services.sensors.url}' refers to the service itself",
            id="reference-self",
        ),
        pytest.param(
            {"services": {"sensors": {"env": {"D": "${services.dashboard.url}"}}}},
            "services.toml: services: references form a cycle: sensors -> dashboard -> sensors",
            id="reference-cycle",
        ),
        pytest.param(
            {"services": {"Sensors_2": {"path": "x", "app": "a:b"}}},
            "services.toml: services.Sensors_2: not a valid name; use a-z, 0-9 and '-', "
            "starting with a letter",
            id="service-name-rules",
        ),
        pytest.param(
            {"services": {"ingest": {"path": "services/sensors"}}},
            "services.toml: services.ingest.path: 'services/sensors' is already used by 'sensors'",
            id="duplicate-path",
        ),
        pytest.param(
            {"services": {"sensors": {"environments": {"staging": {"cpu": 512}}}}},
            "services.toml: services.sensors.environments.staging: no such environment; known: local, prod",
            id="override-unknown-environment",
        ),
        pytest.param(
            {"services": {"sensors": {"environments": {"prod": {"memory": 512}}}}},
            "services.toml: services.sensors.environments.prod.memory: 512 does not fit cpu 1024; "
            "use 2048, 3072, 4096, 5120, 6144, 7168 or 8192",
            id="override-checked-after-merge",
        ),
        pytest.param(
            {"services": {"sensors": {"app": "homestack_sensors"}}},
            "services.toml: services.sensors.app: 'homestack_sensors' is not an app; "
            "use 'module.path:attribute'",
            id="app-form",
        ),
    ],
)
def test_invalid_registry_names_path_value_and_what_is_valid(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(registry_text(changes))
    assert message in caught.value.problems, caught.value.problems


def test_every_problem_is_reported_at_once() -> None:
    text = registry_text({"services": {"sensors": {"cpu": 300, "port": 0, "health": "x"}}})
    with pytest.raises(ConfigError) as caught:
        parse(text)
    assert len(caught.value.problems) == 3


def test_invalid_toml_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^services.toml: not valid TOML: "):
        parse("[project\nname=1")


def test_a_toml_date_anywhere_is_a_config_error_naming_its_path() -> None:
    # Found by the reliability suite's registry fuzzing: a date reached json.dumps and escaped as TypeError.
    changes = {
        "environments": {"prod": {"region": [time(7, 30)]}},
        "services": {"sensors": {"port": date(2026, 11, 26)}},
    }
    with pytest.raises(ConfigError) as caught:
        parse(registry_text(changes))
    assert caught.value.problems == (
        "services.toml: environments.prod.region.0: a TOML date or time is not valid here",
        "services.toml: services.sensors.port: a TOML date or time is not valid here",
    )


def test_missing_file_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read .*nothing\.toml"):
        registry.load(tmp_path / "nothing.toml")


def test_overrides_replace_scalars_and_merge_env() -> None:
    reg = parse(
        registry_text(
            {
                "services": {
                    "sensors": {
                        "environments": {
                            "prod": {"cpu": 2048, "memory": 4096, "env": {"LOG_LEVEL": "warning"}}
                        }
                    }
                }
            }
        )
    )
    prod, local = resolve(reg, "sensors", "prod"), resolve(reg, "sensors", "local")
    assert (prod.cpu, prod.memory, prod.env["LOG_LEVEL"]) == (2048, 4096, "warning")
    assert prod.env["SENSOR_TABLE"] == "${tables.sensors.name}"
    assert (local.cpu, local.env["LOG_LEVEL"]) == (1024, "info")


def test_defaults_fill_what_a_service_leaves_out() -> None:
    dashboard = resolve(parse(registry_text()), "dashboard", "prod")
    assert (dashboard.port, dashboard.health, dashboard.cpu, dashboard.memory) == (
        8000,
        "/health",
        256,
        512,
    )
    assert (dashboard.architecture, dashboard.base_image) == ("x86_64", "python:3.11-slim")


def test_models_are_frozen() -> None:
    reg = parse(registry_text())
    with pytest.raises(ValueError, match="frozen"):
        reg.project.name = "other"  # type: ignore[misc]


def test_unknown_service_suggests_the_closest_name() -> None:
    reg = parse(registry_text())
    with pytest.raises(UsageError) as caught:
        reg.service("sensor")
    assert str(caught.value) == "unknown service 'sensor': not in services.toml"
    assert caught.value.hint == "did you mean 'sensors'? known services: dashboard, ingest, sensors"


def test_the_repository_registry_is_valid() -> None:
    reg = registry.load(ROOT / "services.toml")
    assert set(reg.services) == {"sensors", "ingest", "dashboard"}
    assert set(reg.tables) == {"sensors", "readings"}


def test_every_service_folder_has_exactly_one_registry_entry_and_the_reverse() -> None:
    reg = registry.load(ROOT / "services.toml")
    folders = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "services").iterdir() if p.is_dir())
    entries = [svc.path for svc in reg.services.values()]
    assert sorted(entries) == folders
    assert len(set(entries)) == len(entries)
    for key, svc in reg.services.items():
        assert svc.path == f"services/{key}"
