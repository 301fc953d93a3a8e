"""Simulated home sensors: smooth, plausible readings with day cycles, drift and noise (no I/O here)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ROOMS = ("kitchen", "living-room", "bedroom", "office", "hall", "bathroom", "attic", "garage")
DAY = 86_400.0


def _iso(ts: datetime) -> str:
    utc = ts.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _day_phase(ts: datetime) -> float:
    """0..1 through the local day (UTC stands in for local time)."""
    return (ts.hour * 3600 + ts.minute * 60 + ts.second) / DAY


@dataclass
class SimulatedSensor:
    """One room sensor. Its state evolves with each reading, so values change smoothly over time."""

    sensor_id: str
    name: str
    rng: random.Random
    base_temperature: float
    base_humidity: float
    occupancy_peak: float  # hour of day when the room is busiest
    outdoor_light: bool
    temperature_drift: float = 0.0
    humidity_drift: float = 0.0
    pressure: float = 1013.0
    battery: float = 100.0
    co2: float = 450.0
    last: datetime | None = field(default=None)

    def read(self, ts: datetime) -> dict[str, Any]:
        """The reading this sensor reports at `ts`, as the JSON body ingest accepts."""
        step = 60.0 if self.last is None else max(0.001, (ts - self.last).total_seconds())
        self.last = ts
        phase = _day_phase(ts)
        rng = self.rng
        # Mean-reverting random walks: noise accumulates into slow wander but never runs away.
        pull = min(1.0, step / 3600)
        self.temperature_drift += (
            rng.gauss(0, 0.05) * math.sqrt(min(step, 600) / 60) - self.temperature_drift * pull
        )
        self.humidity_drift += rng.gauss(0, 0.3) * math.sqrt(min(step, 600) / 60) - self.humidity_drift * pull
        self.pressure += (
            rng.gauss(0, 0.02) * math.sqrt(min(step, 600) / 60) + (1013.0 - self.pressure) * pull * 0.1
        )
        # Warmest mid-afternoon, coolest before dawn.
        temperature = (
            self.base_temperature + 1.8 * math.sin(2 * math.pi * (phase - 0.375)) + self.temperature_drift
        )
        humidity = self.base_humidity - 1.5 * (temperature - self.base_temperature) + self.humidity_drift
        # People breathe CO2 into a room: it rises while occupied and decays towards outdoor air.
        hours_from_peak = abs(phase * 24 - self.occupancy_peak)
        occupied = math.exp(-((min(hours_from_peak, 24 - hours_from_peak) / 2.5) ** 2))
        target_co2 = 420 + 900 * occupied
        self.co2 += (target_co2 - self.co2) * min(1.0, step / 1800) + rng.gauss(0, 4)
        self.battery = max(1.0, self.battery - step / (180 * DAY) * 100)
        values: dict[str, float] = {
            "temperature": round(min(max(temperature, -20), 45), 2),
            "humidity": round(min(max(humidity, 5), 95), 1),
            "co2": round(max(self.co2, 380), 0),
            "pressure": round(min(max(self.pressure, 950), 1060), 1),
            "battery": round(self.battery, 1),
        }
        if self.outdoor_light:
            daylight = max(0.0, math.sin(math.pi * (phase - 0.25) / 0.5)) if 0.25 < phase < 0.75 else 0.0
            values["illuminance"] = round(max(0.0, 12_000 * daylight * (0.7 + 0.3 * rng.random())), 0)
        return {"sensor_id": self.sensor_id, "ts": _iso(ts), "values": values, "name": self.name}


def make_sensors(count: int, seed: int = 1, prefix: str = "sim") -> list[SimulatedSensor]:
    """`count` sensors spread over the rooms of a house, reproducible for a given `seed`."""
    rng = random.Random(seed)  # noqa: S311 - simulated weather, not secrets
    sensors = []
    for n in range(count):
        room = ROOMS[n % len(ROOMS)]
        sensors.append(
            SimulatedSensor(
                sensor_id=f"{prefix}-{room}-{n:04d}",
                name=f"{room.replace('-', ' ').title()} {n}",
                rng=random.Random(rng.random()),  # noqa: S311
                base_temperature=rng.uniform(18.5, 23.0)
                if room not in ("attic", "garage")
                else rng.uniform(8, 15),
                base_humidity=rng.uniform(38, 55) if room != "bathroom" else rng.uniform(55, 70),
                occupancy_peak=rng.uniform(18, 22)
                if room in ("living-room", "kitchen")
                else rng.uniform(0, 24),
                outdoor_light=room in ("living-room", "office", "attic"),
                pressure=1013 + rng.uniform(-8, 8),
                battery=rng.uniform(60, 100),
                co2=rng.uniform(420, 600),
            )
        )
    return sensors


def backlog(
    sensors: list[SimulatedSensor], start: datetime, interval: float, per_sensor: int
) -> Iterator[list[dict[str, Any]]]:
    """Readings in device-buffer order, forever: each sensor's next `per_sensor` readings, sensor after
    sensor, its clock advancing `interval` seconds per reading (the stream a fleet of buffering devices
    sends). Every (sensor_id, ts) is new, so nothing in the stream is a duplicate."""
    clocks = {s.sensor_id: start for s in sensors}
    step = timedelta(seconds=interval)
    while True:
        for sensor in sensors:
            chunk = []
            for _ in range(per_sensor):
                clocks[sensor.sensor_id] += step
                chunk.append(sensor.read(clocks[sensor.sensor_id]))
            yield chunk
