"""The simulator against a real ingest server (uvicorn on a loopback port, moto behind it)."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import uvicorn

from homestack_common.testing import free_port
from homestack_ingest.app import app
from homestack_ingest.simulate import Config, SimulatorError, main, simulate
from homestack_ingest.simulated_sensors import backlog, make_sensors
from homestack_ingest.testing import KEY, SENSORS_TABLE, Service
from homestack_sensordata import Reading, format_ts
from homestack_sensordata.faults import Faults


@pytest.fixture
def server(service: Service) -> Iterator[str]:
    """The same app, served over real HTTP (its lifespan already ran inside `service`)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None)
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


def normalised(keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted((sensor, format_ts(datetime.fromisoformat(ts))) for sensor, ts in keys)


def test_generated_readings_are_valid_smooth_and_unique() -> None:
    sensors = make_sensors(16, seed=3)
    chunks = backlog(sensors, datetime(2026, 11, 25, tzinfo=UTC), interval=60, per_sensor=30)
    readings = [r for _ in range(16) for r in next(chunks)]
    parsed = [Reading.model_validate(r) for r in readings]  # every one passes ingest's model
    assert len({r.key for r in parsed}) == len(parsed) == 480
    kitchen = [
        {m.value: v for m, v in r.values.items()} for r in parsed if r.sensor_id == sensors[0].sensor_id
    ]
    steps = [abs(a["temperature"] - b["temperature"]) for a, b in itertools.pairwise(kitchen)]
    assert max(steps) < 1.0  # a minute apart, temperature moves smoothly
    assert {"temperature", "humidity", "co2", "pressure", "battery"} <= set(kitchen[0])


def test_load_mode_every_acknowledged_reading_is_in_the_table(service: Service, server: str) -> None:
    config = Config(url=server, key=KEY, sensors=6, interval=30, rate=0, duration=1.5, batch=120, buffer=20)
    summary = asyncio.run(simulate(Config(**{**config.__dict__, "track": True})))
    assert summary.acknowledged > 0
    assert summary.given_up == 0
    # A resent reading can be a duplicate (its snapshot update ran out of time, in-process moto is slow).
    assert summary.stored + summary.duplicates == summary.acknowledged
    assert summary.duplicates == 0 or summary.retries > 0
    assert normalised(summary.acknowledged_keys) == service.stored()


def test_live_mode_reports_every_sensor_and_fills_its_snapshot(service: Service, server: str) -> None:
    summary = asyncio.run(simulate(Config(url=server, key=KEY, sensors=3, interval=0.3, duration=1.0)))
    assert summary.acknowledged == summary.generated >= 3  # at least one tick, even on a busy machine
    snapshots = service.dynamodb.scan(TableName=SENSORS_TABLE)["Items"]
    expected = sorted(s.sensor_id for s in make_sensors(3))
    assert sorted(item["sensor_id"]["S"] for item in snapshots) == expected


def test_readings_refused_with_503_are_resent_until_stored(service: Service, server: str) -> None:
    faults = Faults(service.ingest.client)
    faults.cancel_transactions(40)  # more than the writer's retry budget: some requests answer 503
    config = Config(url=server, key=KEY, sensors=4, interval=30, rate=0, duration=1.0, batch=100, buffer=25)
    summary = asyncio.run(simulate(Config(**{**config.__dict__, "track": True})))
    assert summary.retries > 0
    assert summary.given_up == 0
    assert normalised(summary.acknowledged_keys) == service.stored()


def test_a_wrong_key_stops_the_simulator_with_a_message_that_hides_the_key(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "not-a-valid-key-0000000000"
    with pytest.raises(SimulatorError, match="HTTP 401"):
        asyncio.run(simulate(Config(url=server, key=wrong, sensors=1, duration=1)))
    assert main(["--url", server, "--key", wrong, "--sensors", "1", "--duration", "1"]) == 1
    out = capsys.readouterr()
    assert "simulator stopped: ingest refused the readings: HTTP 401: invalid API key" in out.err
    assert wrong not in out.out + out.err


def test_the_key_can_come_from_the_environment(
    server: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INGEST_API_KEY", f"{KEY},other-key-0000000000")
    assert main(["--url", server, "--sensors", "2", "--interval", "0.5", "--duration", "0.8"]) == 0
    out = capsys.readouterr().out
    assert '"given_up": 0' in out
    assert KEY not in out
