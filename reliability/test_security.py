"""Security: ingest refuses every auth bypass tried, and writes nothing for it; the dashboard escapes
hostile data; generated IAM policies grant only what a service declares; images run as non-root; and
(last, after every other check has run) no secret appears in any log line of the whole run."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from expressway.images.dockerfile import render_dockerfile
from expressway.images.spec import image_spec
from expressway.plan.desired import Facts, spec
from expressway.plan.policies import READ_ACTIONS, WRITE_ACTIONS
from expressway.registry import Registry, load, resolve
from expressway.registry.names import Names
from homestack_sensordata import dynamodb_client
from reliability.figures import Figures
from reliability.fleet import KEY, OLD_KEY, READINGS_TABLE, SECRETS, Fleet

ROOT = Path(__file__).resolve().parents[1]
NOW = time.time()

# (what is tried, headers sent): every one must be refused and store nothing.
BYPASSES: list[tuple[str, list[tuple[bytes, bytes]]]] = [
    ("no credential at all", []),
    ("empty Authorization", [(b"authorization", b"")]),
    ("scheme without a key", [(b"authorization", b"Bearer")]),
    ("key without a scheme", [(b"authorization", KEY.encode())]),
    ("Basic scheme with the key", [(b"authorization", b"Basic " + base64.b64encode(KEY.encode()))]),
    ("Basic user:key", [(b"authorization", b"Basic " + base64.b64encode(f"ingest:{KEY}".encode()))]),
    ("Token scheme", [(b"authorization", f"Token {KEY}".encode())]),
    ("colon after the scheme", [(b"authorization", f"Bearer: {KEY}".encode())]),
    ("empty X-API-Key", [(b"x-api-key", b"")]),
    ("key prefix", [(b"authorization", f"Bearer {KEY[:-1]}".encode())]),
    ("first 16 characters", [(b"x-api-key", KEY[:16].encode())]),
    ("key plus a suffix", [(b"authorization", f"Bearer {KEY}x".encode())]),
    ("key in upper case", [(b"authorization", f"Bearer {KEY.upper()}".encode())]),
    ("key twice", [(b"authorization", f"Bearer {KEY} {KEY}".encode())]),
    ("both keys comma-joined", [(b"x-api-key", f"{KEY},{OLD_KEY}".encode())]),
    ("very long key", [(b"authorization", b"Bearer " + b"k" * 60_000)]),
    ("key padded to a very long one", [(b"x-api-key", KEY.encode() + b"\t" * 5 + b"k" * 10_000)]),
    ("non-ASCII look-alike", [(b"authorization", f"Bearer {KEY[:-1]}\u0430".encode())]),
    ("valid key and a wrong one", [(b"authorization", f"Bearer {KEY}".encode()), (b"x-api-key", b"x" * 20)]),
    ("valid key and an empty one", [(b"x-api-key", KEY.encode()), (b"authorization", b"Bearer")]),
    ("key in a cookie", [(b"cookie", f"api_key={KEY}; INGEST_API_KEY={KEY}".encode())]),
    ("key in another header", [(b"x-ingest-api-key", KEY.encode()), (b"api-key", KEY.encode())]),
]


def _reading(sensor_id: str) -> bytes:
    return json.dumps({"sensor_id": sensor_id, "ts": NOW - 60, "values": {"temperature": 21.0}}).encode()


def _stored(fleet: Fleet, sensor_id: str) -> int:
    client = dynamodb_client(endpoint_url=fleet.dynamodb)
    found = client.query(
        TableName=READINGS_TABLE,
        KeyConditionExpression="sensor_id = :s",
        ExpressionAttributeValues={":s": {"S": sensor_id}},
    )
    return int(found["Count"])


def test_ingest_refuses_every_auth_bypass_and_stores_nothing_for_it(fleet: Fleet, figures: Figures) -> None:
    refused: dict[str, int] = {}
    with httpx.Client(base_url=fleet.ingest, timeout=10) as http:
        for number, (what, headers) in enumerate(BYPASSES):
            raw = [(b"content-type", b"application/json"), *headers]
            for query in ("", f"?api_key={KEY}&key={KEY}"):  # a key in the URL must not count either
                response = http.post(f"/readings{query}", content=_reading(f"bypass-{number}"), headers=raw)
                figures.count("cases tried")
                refused[f"{what}{' (+query)' if query else ''}"] = response.status_code
        control = http.post(
            "/readings", content=_reading("bypass-control"), headers={"Authorization": f"Bearer {OLD_KEY}"}
        )
    # 401 for every bypass; a header too large for the server may end at 431 before auth: also refused.
    assert {what: status for what, status in refused.items() if status not in (401, 431)} == {}
    assert [n for n in range(len(BYPASSES)) if _stored(fleet, f"bypass-{n}")] == []
    assert control.status_code == 200, control.text  # the rotated-out key still works: the check can pass
    assert _stored(fleet, "bypass-control") == 1
    figures.note(f"auth bypasses refused: {len(refused)} of {len(refused)}, 0 readings stored by them")


HOSTILE_NAME = "<script>window.__pwned=1</script><img src=x onerror=\"alert('x')\">&amp;\"'"


def test_dashboard_escapes_hostile_sensor_names_everywhere_it_shows_them(fleet: Fleet) -> None:
    body = json.dumps(
        {"sensor_id": "hostile-1", "ts": NOW - 30, "values": {"temperature": 20.0}, "name": HOSTILE_NAME}
    )
    stored = httpx.post(
        f"{fleet.ingest}/readings",
        content=body,
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
    )
    assert stored.status_code == 200, stored.text
    pages = ["/", "/partials/overview", "/sensors/hostile-1", "/partials/sensor?id=hostile-1"]
    deadline = time.monotonic() + 15  # the dashboard caches the sensors API for a second or two
    html: dict[str, str] = {}
    while time.monotonic() < deadline:
        html = {page: httpx.get(fleet.dashboard + page, timeout=10).text for page in pages}
        if all("&lt;script&gt;window.__pwned=1&lt;/script&gt;" in text for text in html.values()):
            break
        time.sleep(0.5)
    for page, text in html.items():
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in text, f"{page} does not show the name"
        assert "<script>window.__pwned" not in text, page
        assert "<img src=x" not in text, page


def _statements(policy: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list(policy["Statement"]) if policy else []


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_generated_iam_policies_grant_only_what_each_service_declares() -> None:
    registry = load(ROOT / "services.toml")
    checked = 0
    for env in registry.environments:
        facts = Facts(account="123456789012", region="eu-west-1", subnets=("subnet-a",), version="v")
        for key in registry.services:
            desired = spec(registry, env, key, facts, "image", {}, placeholders=True)
            tables = {
                f"arn:aws:dynamodb:eu-west-1:123456789012:table/{desired_name}": access
                for desired_name, access in _declared_tables(registry, env, key).items()
            }
            for statement in _statements(desired.task_policy):
                actions, resources = _as_list(statement["Action"]), _as_list(statement["Resource"])
                table = resources[0]
                allowed = READ_ACTIONS if tables[table] == "read" else WRITE_ACTIONS
                assert set(actions) <= set(allowed), (key, actions)
                assert resources == [table, f"{table}/index/*"], (key, resources)
                assert all("*" not in action for action in actions)
                assert "dynamodb:DeleteItem" not in actions
            declared_tables = {s["Resource"][0] for s in _statements(desired.task_policy)}
            assert declared_tables == set(tables), key
            secrets = sorted(
                f"arn:aws:ssm:eu-west-1:123456789012:parameter/{ref.removeprefix('ssm:/')}"
                for ref in resolve(registry, key, env).secrets.values()  # with the environment's own
            )
            reading = [
                s
                for s in _statements(desired.execution_policy)
                if s["Sid"] in ("ReadParameters", "ReadSecrets")
            ]
            granted = sorted(r for s in reading for r in _as_list(s["Resource"]))
            assert granted == secrets, key
            for statement in _statements(desired.execution_policy):
                assert all("*" not in a for a in _as_list(statement["Action"]))
                if statement["Sid"] != "EcrLogin":  # ecr:GetAuthorizationToken has no resource-level form
                    assert all(not r.endswith(":*:*") and r != "*" for r in _as_list(statement["Resource"]))
            checked += 1
    assert checked == len(registry.environments) * len(registry.services)


def _declared_tables(registry: Registry, env: str, key: str) -> dict[str, str]:
    names = Names.of(registry, env)
    return {names.table(t): access for t, access in registry.services[key].tables.items()}


@pytest.mark.parametrize("service", ["sensors", "ingest", "dashboard"])
@pytest.mark.parametrize("env", ["prod", "local"])
def test_every_service_image_runs_as_a_non_root_user(service: str, env: str) -> None:
    spec_ = image_spec(ROOT, resolve(load(ROOT / "services.toml"), service, env))
    dockerfile = render_dockerfile(spec_, context_digest="0" * 64, epoch=0)
    instructions = [line.split(None, 1) for line in dockerfile.splitlines() if line and line[0].isupper()]
    after_from = instructions[max(i for i, (word, _) in enumerate(instructions) if word == "FROM") :]
    users = [rest.strip() for word, rest in after_from if word == "USER"]
    assert users, "no USER: the image would run as root"
    uid, _, gid = users[-1].partition(":")
    assert uid not in ("0", "root"), users[-1]
    assert gid not in ("0", "root"), users[-1]
    assert [word for word, _ in after_from].index("USER") < [word for word, _ in after_from].index("CMD")


def test_zz_no_secret_value_appears_in_any_log_line_of_the_run(fleet: Fleet, figures: Figures) -> None:
    """Runs last (pytest keeps file order and this file sorts last): the logs hold the whole run."""
    text = fleet.log_text()
    lines = text.splitlines()
    requests_logged = sum('"POST /readings' in line or "POST /readings" in line for line in lines)
    assert requests_logged > 0, "the services logged no request at all: nothing was checked"
    leaked = {name: sum(secret in line for line in lines) for name, secret in SECRETS.items()}
    assert leaked == dict.fromkeys(leaked, 0)
    files = len(list(fleet.logs.glob("*.log")))
    figures.note(f"secrets searched for in {len(lines)} log lines of {files} processes: 0 found")
