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
            {"environments": {"prod": {"log_retention_days": 31}}},
            "services.toml: environments.prod.log_retention_days: 31 is not a retention CloudWatch Logs "
            "accepts; use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, "
            "2192, 2557, 2922, 3288, 3653",
            id="log-retention-cloudwatch-refuses",
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
            {"services": {"ingest": {"secrets": {"INGEST_API_KEY": "ssm:/*"}}}},
            "services.toml: services.ingest.secrets.INGEST_API_KEY: 'ssm:/*' holds the wildcard '*', "
            "which the IAM policies made from it would read as every SSM parameter it matches; "
            "name exactly one",
            id="secret-ssm-wildcard",
        ),
        pytest.param(
            {"services": {"ingest": {"secrets": {"INGEST_API_KEY": "ssm:/homestack/ingest/api-ke?"}}}},
            "services.toml: services.ingest.secrets.INGEST_API_KEY: 'ssm:/homestack/ingest/api-ke?' holds "
            "the wildcard '?', which the IAM policies made from it would read as every SSM parameter it "
            "matches; name exactly one",
            id="secret-ssm-single-character-wildcard",
        ),
        pytest.param(
            {
                "services": {
                    "ingest": {"secrets": {"K": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:*"}}
                }
            },
            "services.toml: services.ingest.secrets.K: "
            "'arn:aws:secretsmanager:eu-west-1:123456789012:secret:*' holds the wildcard '*', which the IAM "
            "policies made from it would read as every Secrets Manager secret it matches; name exactly one",
            id="secret-secrets-manager-wildcard",
        ),
        pytest.param(
            {"services": {"ingest": {"secrets": {"K": "arn:aws:ssm:eu-west-1:123456789012:parameter/*"}}}},
            "services.toml: services.ingest.secrets.K: 'arn:aws:ssm:eu-west-1:123456789012:parameter/*' "
            "holds the wildcard '*', which the IAM policies made from it would read as every SSM parameter "
            "it matches; name exactly one",
            id="secret-ssm-arn-wildcard",
        ),
        pytest.param(
            {"services": {"ingest": {"secrets": {"K": "ssm:/homestack/${aws:username}"}}}},
            "services.toml: services.ingest.secrets.K: 'ssm:/homestack/${aws:username}' is not an SSM "
            "parameter reference; use 'ssm:/level/name' (or its ARN): letters, digits, '_', '.' and '-', "
            "with '/' between at most 15 levels",
            id="secret-ssm-policy-variable",
        ),
        pytest.param(
            {"services": {"ingest": {"secrets": {"K": "arn:aws:secretsmanager:eu-west-1:1:secret:db"}}}},
            "services.toml: services.ingest.secrets.K: 'arn:aws:secretsmanager:eu-west-1:1:secret:db' is "
            "not a Secrets Manager secret ARN; use "
            "'arn:<partition>:secretsmanager:<region>:<account>:secret:<name>', a name of letters, digits "
            "and '/_+=.@-'",
            id="secret-secrets-manager-arn-form",
        ),
        pytest.param(
            {
                "services": {
                    "sensors": {
                        "environments": {"prod": {"secrets": {"CURSOR_KEY": "ssm:/homestack/*"}}},
                        "generate_secrets": ["CURSOR_KEY"],
                    }
                }
            },
            "services.toml: services.sensors.environments.prod.secrets.CURSOR_KEY: 'ssm:/homestack/*' holds "
            "the wildcard '*', which the IAM policies made from it would read as every SSM parameter it "
            "matches; name exactly one",
            id="generated-secret-wildcard-in-an-override",
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


@pytest.mark.parametrize(
    "ref",
    [
        "ssm:/homestack/ingest/api-key",
        "ssm:/a_b.c-D/9",
        "ssm:/" + "/".join(["level"] * 15),
        "arn:aws:ssm:eu-west-1:123456789012:parameter/homestack/key",
        "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/key",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db/pass+word=@.-AbCdEf",
        "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:db-AbCdEf:password::",
    ],
)
def test_secret_references_of_every_documented_form_are_accepted(ref: str) -> None:
    reg = parse(registry_text({"services": {"ingest": {"secrets": {"INGEST_API_KEY": ref}}}}))
    assert resolve(reg, "ingest", "prod").secrets["INGEST_API_KEY"] == ref


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


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {"project": {"name": "homestack\n"}},
            "services.toml: project.name: 'homestack\\n' is not a valid name; use 1-20 of a-z, 0-9 and '-'",
            id="project-name",
        ),
        pytest.param(
            {"environments": {"prod\n": {"region": "eu-west-1"}}},
            "services.toml: environments.'prod\\n': not a valid name; use a-z, 0-9 and '-'",
            id="environment-name",
        ),
        pytest.param(
            {"services": {"dash\n": {"path": "services/dash", "app": "a:b"}}},
            "services.toml: services.'dash\\n': not a valid name; "
            "use a-z, 0-9 and '-', starting with a letter",
            id="service-name",
        ),
        pytest.param(
            {"services": {"sensors": {"env": {"LOG_LEVEL\n": "info"}}}},
            "services.toml: services.sensors: 'LOG_LEVEL\\n' is not a valid environment variable name",
            id="env-var-name",
        ),
        pytest.param(
            {"services": {"ingest": {"secrets": {"INGEST_API_KEY": "ssm:/x\n"}}}},
            "services.toml: services.ingest.secrets.INGEST_API_KEY: 'ssm:/x\\n' is not an SSM parameter "
            "reference; use 'ssm:/level/name' (or its ARN): letters, digits, '_', '.' and '-', with '/' "
            "between at most 15 levels",
            id="secret-reference",
        ),
        pytest.param(
            {"services": {"sensors": {"health": "/health\n"}}},
            "services.toml: services.sensors.health: '/health\\n' is not a URL path; "
            "use visible ASCII, no spaces",
            id="health-path",
        ),
        pytest.param(
            {"environments": {"prod": {"region": "eu-west-1\n"}}},
            "services.toml: environments.prod.region: 'eu-west-1\\n' is not an AWS region; "
            "use e.g. 'eu-west-1'",
            id="region",
        ),
        pytest.param(
            {"environments": {"prod": {"cluster": "homestack prod"}}},
            "services.toml: environments.prod.cluster: 'homestack prod' is not an ECS cluster name; "
            "use 1-255 of A-Z, a-z, 0-9, '_', '-'",
            id="cluster",
        ),
        pytest.param(
            {"project": {"base_image": "python:3.12-slim\nRUN curl x | sh"}},
            "services.toml: project.base_image: 'python:3.12-slim\\nRUN curl x | sh' is not an image "
            "reference; use e.g. 'python:3.12-slim'",
            id="base-image-newline",
        ),
        pytest.param(
            {"services": {"sensors": {"environments": {"prod": {"base_image": "Python:3.12"}}}}},
            "services.toml: services.sensors.environments.prod.base_image: 'Python:3.12' is not an image "
            "reference; use e.g. 'python:3.12-slim'",
            id="override-base-image",
        ),
        pytest.param(
            {"tables": {"sensors": {"partition_key": ""}}},
            "services.toml: tables.sensors.partition_key: '' is not an attribute name; use 1 to 255 bytes",
            id="empty-key-attribute",
        ),
    ],
)
def test_a_trailing_newline_or_stray_character_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(registry_text(changes))
    assert message in caught.value.problems, caught.value.problems


@pytest.mark.parametrize(
    "path", ["../../../../root", "/root", "services/../../x", "./services/x", "a//b", "a/"]
)
def test_a_path_out_of_the_repository_is_refused_by_its_form(path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(registry_text({"services": {"sensors": {"path": path}}}))
    assert caught.value.problems == (
        f"services.toml: services.sensors.path: {path!r} is not a folder inside the repository; use a "
        "relative path of plain names, e.g. 'services/sensors' (no leading '/', no '.' or '..')",
    )


@pytest.mark.parametrize(
    "image",
    [
        "python:3.12-slim",
        "public.ecr.aws/docker/library/python:3.12-slim",
        "localhost:5000/team/app_x:v1.2",
        "python@sha256:" + "ab" * 32,
        "python:3.12-slim@sha256:" + "ab" * 32,
    ],
)
def test_image_references_of_every_form_are_accepted_as_base_images(image: str) -> None:
    assert parse(registry_text({"project": {"base_image": image}})).project.base_image == image


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        pytest.param(
            "deep = " + "[" * 2000 + "]" * 2000,
            "services.toml: line 1: arrays or inline tables nested too deeply to read; no valid value is",
            id="arrays-past-the-parser",
        ),
        pytest.param(
            "deep = " + "[" * 20 + "]" * 20,
            "services.toml: deep.0.0.0.0.0.0.0: nested deeper than 8 levels; no valid value is",
            id="arrays-past-any-valid-value",
        ),
        pytest.param(
            "big = " + "9" * 5000,
            "services.toml: line 1: a number of thousands of digits; TOML integers are 64-bit",
            id="5000-digits",
        ),
        pytest.param(
            "big = 0x" + "f" * 5000,
            "services.toml: big: an integer beyond the 64 bits TOML allows",
            id="5000-hex-digits",
        ),
        pytest.param(
            f"big = {2**63}",
            "services.toml: big: an integer beyond the 64 bits TOML allows",
            id="int64-plus-one",
        ),
    ],
)
def test_a_malformed_document_is_one_config_error_naming_file_and_where(line: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(line + "\n" + registry_text())
    assert caught.value.problems == (problem,)


def test_a_long_value_is_cut_in_the_problem_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse(registry_text({"services": {"sensors": {"health": "/" + "x" * 5000 + " "}}}))
    (line,) = caught.value.problems
    assert line.startswith("services.toml: services.sensors.health: '/xxxx")
    assert len(line) < 200


def _workspace(root: Path, members: str = '["libs/*", "services/*"]') -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        f'[tool.uv.workspace]\nmembers = {members}\nexclude = ["services/retired"]\n'
    )
    for folder in ("services/sensors", "services/ingest", "services/dashboard", "services/retired", "libs/x"):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "pyproject.toml").write_text(f'[project]\nname = "{folder.replace("/", "-")}"\n')
    (root / "harness").mkdir(exist_ok=True)
    (root / "services.toml").write_text(registry_text())
    return root / "services.toml"


def _with_sensors_at(path: Path, folder: str) -> Path:
    path.write_text(registry_text({"services": {"sensors": {"path": folder}}}))
    return path


def test_load_accepts_a_workspace_members_folder(tmp_path: Path) -> None:
    assert registry.load(_workspace(tmp_path)).services["sensors"].path == "services/sensors"
    assert (
        registry.load(_with_sensors_at(_workspace(tmp_path), "libs/x")).services["sensors"].path == "libs/x"
    )


@pytest.mark.parametrize(
    "folder",
    [
        pytest.param("harness", id="no-member"),
        pytest.param("services/nothing", id="missing"),
        pytest.param("services/retired", id="excluded"),
        pytest.param("services/linked", id="member-glob-linking-outside"),
    ],
)
def test_load_refuses_a_folder_that_is_no_workspace_member(tmp_path: Path, folder: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "pyproject.toml").write_text('[project]\nname = "outside"\n')
    path = _workspace(tmp_path / "repo")
    (tmp_path / "repo" / "services" / "linked").symlink_to(outside)
    with pytest.raises(ConfigError) as caught:
        registry.load(_with_sensors_at(path, folder))
    assert caught.value.problems == (
        f"services.toml: services.sensors.path: {folder!r} is not the folder of a uv workspace member "
        "(pyproject.toml [tool.uv.workspace] members inside the repository: libs/x, services/dashboard, "
        "services/ingest, services/sensors)",
    )


def test_without_a_workspace_a_path_is_held_to_its_form_and_may_not_link_out(tmp_path: Path) -> None:
    path = tmp_path / "repo" / "services.toml"
    path.parent.mkdir()
    path.write_text(registry_text())
    assert registry.load(path).services["sensors"].path == "services/sensors"  # need not exist yet
    (path.parent / "pyproject.toml").write_text('[project]\nname = "one-package"\n')  # no workspace either
    (path.parent / "services").mkdir()
    (path.parent / "services" / "sensors").symlink_to(tmp_path)
    with pytest.raises(ConfigError) as caught:
        registry.load(path)
    assert caught.value.problems == (
        f"services.toml: services.sensors.path: 'services/sensors' leads out of the repository "
        f"(it resolves to {tmp_path.resolve()})",
    )


def test_an_unreadable_workspace_manifest_is_a_config_error(tmp_path: Path) -> None:
    path = _workspace(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.uv.workspace\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml: cannot read the uv workspace"):
        registry.load(path)
