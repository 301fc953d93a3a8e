"""A home's health in one line: which rooms need air, which batteries are low, which sensors went silent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from homestack_dashboard.bands import Assessment, State

# (metric, side) -> (singular, plural) of what the count is followed by. Battery counts every sensor;
# the air metrics only sensors whose reading is current (a silent sensor's air says nothing of now).
_PHRASES: dict[tuple[str, str], tuple[str, str]] = {
    ("co2", "high"): ("room needs air", "rooms need air"),
    ("pm25", "high"): ("room has fine dust", "rooms have fine dust"),
    ("humidity", "high"): ("room is humid", "rooms are humid"),
    ("humidity", "low"): ("room is dry", "rooms are dry"),
    ("battery", "low"): ("battery low", "batteries low"),
}
_ALWAYS = {"battery"}


@dataclass(frozen=True)
class SensorState:
    """What the summary needs of one sensor: is its reading current, and how its values stand."""

    current: bool
    silent: bool
    assessments: Sequence[Assessment]


@dataclass(frozen=True)
class Concern:
    """One line of the summary, e.g. `2 rooms need air`, and how serious its worst case is."""

    text: str
    state: State


@dataclass(frozen=True)
class Health:
    """The summary at the top of the overview."""

    state: State
    concerns: list[Concern]
    headline: str


def home_health(sensors: Sequence[SensorState]) -> Health:
    """The concerns of the whole home, worst first, and one sentence saying them."""
    counts: dict[tuple[str, str], list[State]] = {}
    for sensor in sensors:
        for found in sensor.assessments:
            key = (found.metric, found.side)
            if found.state > State.OK and key in _PHRASES and (sensor.current or found.metric in _ALWAYS):
                counts.setdefault(key, []).append(found.state)
    concerns = []
    for key, (one, many) in _PHRASES.items():
        states = counts.get(key)
        if states:
            concerns.append(Concern(f"{len(states)} {one if len(states) == 1 else many}", max(states)))
    silent = sum(sensor.silent for sensor in sensors)
    if silent:
        concerns.append(Concern(f"{silent} {'sensor' if silent == 1 else 'sensors'} silent", State.WARN))
    concerns.sort(key=lambda concern: -concern.state)
    if concerns:
        return Health(concerns[0].state, concerns, ", ".join(c.text for c in concerns))
    total = len(sensors)
    headline = f"All {total} sensors in range" if total != 1 else "The sensor is in range"
    return Health(State.OK, [], headline)
