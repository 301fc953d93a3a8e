"""Authentication: only a current key gets in, nothing is written otherwise, keys never leak."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from homestack_common.testing import capture_logs
from homestack_ingest.testing import KEY, OLD_KEY, Service, answer

NOW = datetime.now(UTC).replace(microsecond=0).isoformat()
ONE = {"sensor_id": "kitchen-1", "ts": NOW, "values": {"temperature": 21.0}}


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Authorization": f"Basic {KEY}"}, id="wrong-scheme"),
        pytest.param({"Authorization": KEY}, id="no-scheme"),
        pytest.param({"Authorization": "Bearer "}, id="empty-bearer"),
        pytest.param({"X-API-Key": ""}, id="empty-x-api-key"),
        pytest.param({"Authorization": "Bearer not-the-key-at-all-000"}, id="wrong-key"),
        pytest.param({"Authorization": f"Bearer {KEY[:-1]}"}, id="key-prefix"),
        pytest.param({"Authorization": f"Bearer {KEY}x"}, id="key-plus-one"),
        pytest.param({"Authorization": f"Bearer {KEY * 500}"}, id="very-long-key"),
        pytest.param(
            {"Authorization": "Bearer k\u00e9y-with-latin1-char-0000".encode("latin-1")}, id="non-ascii"
        ),
        pytest.param(
            {"Authorization": f"Bearer {KEY}", "X-API-Key": "wrong-wrong-wrong-wrong"}, id="one-bad"
        ),
    ],
)
def test_requests_without_a_valid_key_get_401_and_nothing_is_written(
    service: Service, headers: dict[str, str | bytes]
) -> None:
    response = service.post(ONE, key=None, **headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="ingest"'
    assert response.json()["error"]["code"] == "unauthorized"
    assert KEY not in response.text
    assert service.stored() == []


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Authorization": f"Bearer {KEY}"}, id="bearer"),
        pytest.param({"Authorization": f"bearer   {KEY}"}, id="scheme-any-case"),
        pytest.param({"X-API-Key": KEY}, id="x-api-key"),
        pytest.param({"Authorization": f"Bearer {OLD_KEY}"}, id="rotated-old-key"),
        pytest.param({"Authorization": f"Bearer {KEY}", "X-API-Key": OLD_KEY}, id="both-valid"),
    ],
)
def test_any_current_key_in_either_header_is_accepted(service: Service, headers: dict[str, str]) -> None:
    response = service.post(ONE, key=None, **headers)
    assert response.status_code == 200, response.text
    assert response.json() == answer(1, stored=1, duplicates=0)


def test_a_missing_key_says_how_to_send_one(service: Service) -> None:
    error = service.post(ONE, key=None).json()["error"]
    assert error["message"] == "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"


def test_unauthenticated_oversized_body_is_refused_before_it_is_read(service: Service) -> None:
    response = service.http.post("/readings", content=b"x" * 5_000_000)
    assert response.status_code == 401


def test_no_key_appears_in_any_log_line(service: Service) -> None:
    with capture_logs() as records:
        service.post(ONE)
        service.post(ONE, key=OLD_KEY[:-2] + "zz")
        service.post({"sensor_id": KEY, "ts": NOW, "values": {}})
    text = json.dumps(records)
    assert records
    assert KEY not in text
    assert OLD_KEY[:-2] not in text
