"""Comfort bands and the home's health line: what counts as fine, worth acting on, or poor."""

from __future__ import annotations

import pytest

from homestack_dashboard.bands import State, assess, most_out_of_band
from homestack_dashboard.health import SensorState, home_health


@pytest.mark.parametrize(
    ("metric", "value", "state", "text"),
    [
        ("co2", 1000, State.OK, "fresh"),
        ("co2", 1001, State.WARN, "needs air"),
        ("co2", 1500, State.WARN, "needs air"),
        ("co2", 1600, State.BAD, "poor air"),
        ("humidity", 30, State.OK, "ok"),
        ("humidity", 29, State.WARN, "dry"),
        ("humidity", 61, State.WARN, "humid"),
        ("battery", 20, State.OK, "ok"),
        ("battery", 19, State.WARN, "low"),
        ("pm25", 40, State.BAD, "poor air"),
    ],
)
def test_values_are_judged_against_the_cited_limits(
    metric: str, value: float, state: State, text: str
) -> None:
    found = assess(metric, value)

    assert found is not None
    assert (found.state, found.text) == (state, text)


def test_a_metric_without_a_band_is_not_judged() -> None:
    assert assess("temperature", 35.0) is None
    assert assess("pressure", 900.0) is None


def test_the_worst_value_is_picked_first_by_state_then_by_how_far_out_it_is() -> None:
    worst = most_out_of_band({"co2": 1200, "humidity": 75, "battery": 5, "temperature": 40})
    assert worst is not None
    assert worst.metric == "battery"  # 0.75 of its band past the limit; humidity 0.5, CO2 0.2

    poor = most_out_of_band({"co2": 1600, "battery": 1})
    assert poor is not None
    assert poor.metric == "co2"  # poor beats merely low

    assert most_out_of_band({"co2": 600, "humidity": 45, "temperature": 40}) is None


def states(values: dict[str, float], *, current: bool = True, silent: bool = False) -> SensorState:
    found = [a for metric, value in values.items() if (a := assess(metric, value))]
    return SensorState(current=current, silent=silent, assessments=found)


def test_the_health_line_counts_rooms_and_batteries_worst_first() -> None:
    health = home_health(
        [
            states({"co2": 1320, "battery": 64}),
            states({"co2": 1600}),
            states({"co2": 948, "humidity": 52}),
            states({"battery": 8, "co2": 1800}, current=False, silent=True),
        ]
    )

    assert health.headline == "2 rooms need air, 1 battery low, 1 sensor silent"
    assert health.state == State.BAD
    assert [concern.state for concern in health.concerns] == [State.BAD, State.WARN, State.WARN]


def test_a_silent_sensors_air_is_not_counted_but_its_battery_is() -> None:
    health = home_health([states({"co2": 2000, "battery": 3}, current=False, silent=True)])

    assert health.headline == "1 battery low, 1 sensor silent"


def test_a_home_in_range_says_so() -> None:
    health = home_health([states({"co2": 600}), states({"humidity": 40})])

    assert health.state == State.OK
    assert health.headline == "All 2 sensors in range"
    assert health.concerns == []


def test_humid_and_dry_rooms_are_told_apart() -> None:
    health = home_health([states({"humidity": 70}), states({"humidity": 72}), states({"humidity": 20})])

    assert health.headline == "2 rooms are humid, 1 room is dry"
