"""Schemathesis against each service's published OpenAPI schema, on live loopback servers: every generated
request, valid or not, gets an answer that is not a 5xx and that matches the schema (all checks on)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis.errors import Unsatisfiable

from reliability.dashboard_pages import with_pages
from reliability.figures import Figures
from reliability.fleet import KEY, Fleet

SEED = 20261126
CASES = 60  # per operation and mode (valid and invalid requests); a few hundred per service in all


# What a schema cannot say, so a schema-valid request may still be refused with these statuses:
# a cursor is any string in the schema but only a signed one the API issued is accepted (400), and
# a reading's timestamp must fall inside the retention window relative to now (422).
# `since` must not be later than `until` (422) is a rule across two parameters.
ALSO_REFUSED = {"sensors": ["400", "422"], "ingest": ["422"], "dashboard": []}


def _config(service: str) -> Any:
    accepted = ["2xx", "3xx", "401", "403", "404", "409", "429", *ALSO_REFUSED[service]]
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "checks": {
                "enabled": True,  # all of schemathesis's checks, not only the default few
                "positive_data_acceptance": {"expected-statuses": accepted},
            },
        }
    )


def _schema(service: str, base_url: str) -> Any:
    """The service's own published schema; for the dashboard, plus its HTML pages."""
    if service != "dashboard":
        return schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=_config(service))
    published = httpx.get(f"{base_url}/openapi.json").raise_for_status().json()
    schema = schemathesis.openapi.from_dict(with_pages(published), config=_config(service))
    schema.config.update(base_url=base_url)
    return schema


def _fuzz(service: str, base_url: str, figures: Figures, headers: dict[str, str] | None = None) -> list[str]:
    """Run every operation in both generation modes; return the failures (one line each), after shrinking."""
    failures: list[str] = []
    tried = [0]
    operations = 0
    for result in _schema(service, base_url).get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=CASES, deadline=None, suppress_health_check=list(HealthCheck))
            @seed(SEED)
            def check(case: schemathesis.Case[Any]) -> None:
                figures.count("cases tried")
                tried[0] += 1
                case.call_and_validate(headers=headers)

            try:
                check()
            except AssertionError as exc:  # schemathesis reports failed checks as AssertionError
                failures.append(f"{operation.label} ({mode.value}): {exc}")
            except Unsatisfiable:
                # An operation with no parameters and no body (GET /health) has no invalid form.
                if mode is schemathesis.GenerationMode.POSITIVE:
                    raise
    figures.note(
        f"schemathesis {service}: {tried[0]} cases over {operations} operations, {len(failures)} failed"
    )
    return failures


@pytest.mark.slow
def test_sensors_api_answers_every_generated_request_within_its_schema(
    fleet: Fleet, figures: Figures
) -> None:
    assert _fuzz("sensors", fleet.sensors, figures) == []


@pytest.mark.slow
def test_ingest_api_answers_every_generated_request_within_its_schema(fleet: Fleet, figures: Figures) -> None:
    assert _fuzz("ingest", fleet.ingest, figures, {"Authorization": f"Bearer {KEY}"}) == []


@pytest.mark.slow
def test_dashboard_answers_every_generated_request_within_its_schema(fleet: Fleet, figures: Figures) -> None:
    assert _fuzz("dashboard", fleet.dashboard, figures) == []
