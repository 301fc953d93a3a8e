"""Comfort bands: whether a value is fine, worth acting on, or poor, with the public source of each limit.

Sources (limits are exclusive: 1000 ppm is still good, 1001 ppm needs air):

- CO2 above 1000 ppm: the German Environment Agency's guide values for indoor air rate up to 1000 ppm
  as harmless and 1000-2000 ppm as conspicuous, time to air the room (Ad-hoc-Arbeitsgruppe
  Innenraumrichtwerte, "Gesundheitliche Bewertung von Kohlendioxid in der Innenraumluft",
  Bundesgesundheitsblatt 51 (2008) 1358-1369,
  https://www.umweltbundesamt.de/sites/default/files/medien/pdfs/kohlendioxid_2008.pdf).
- CO2 above 1500 ppm: poor. The UK Department for Education's Building Bulletin 101 (2018) caps the
  daily average in a classroom at 1500 ppm
  (https://www.gov.uk/government/publications/building-bulletin-101-ventilation-for-school-buildings).
- Relative humidity outside 30-60 %: the US EPA advises keeping indoor relative humidity below 60 %
  against mould, ideally between 30 % and 50 % (https://www.epa.gov/mold/mold-course-chapter-2).
- PM2.5 above 15 ug/m3 is over the WHO's 24-hour air quality guideline level, above 37.5 ug/m3 over
  its interim target 3 (WHO global air quality guidelines, 2021,
  https://www.who.int/publications/i/item/9789240034228).
- Battery under 20 %: the level at which phones first warn and offer to save power (Apple, "Use Low
  Power Mode to save battery life on your iPhone", https://support.apple.com/en-us/HT205234); a
  sensor's estimate falls quickly below it.

Temperature has no band here: the right range depends on the room (a garden, a cellar, a bedroom),
and a false alarm teaches people to ignore the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class State(IntEnum):
    """How a value stands, in order of concern."""

    OK = 0
    WARN = 1
    BAD = 2

    @property
    def css(self) -> str:
        return ("ok", "warn", "bad")[self]


@dataclass(frozen=True)
class Limit:
    """Past `value` (above it for a high limit, below it for a low one) the state is `state`."""

    value: float
    state: State
    text: str


@dataclass(frozen=True)
class Band:
    """A metric's limits, the text of a value inside them, and the width used to compare excesses."""

    high: tuple[Limit, ...] = ()  # ascending
    low: tuple[Limit, ...] = ()  # descending
    ok_text: str = "ok"
    scale: float = 1.0


BANDS: dict[str, Band] = {
    "co2": Band(
        high=(Limit(1000, State.WARN, "needs air"), Limit(1500, State.BAD, "poor air")),
        ok_text="fresh",
        scale=1000,
    ),
    "humidity": Band(
        high=(Limit(60, State.WARN, "humid"),),
        low=(Limit(30, State.WARN, "dry"),),
        scale=30,
    ),
    "pm25": Band(
        high=(Limit(15, State.WARN, "elevated"), Limit(37.5, State.BAD, "poor air")),
        scale=15,
    ),
    "battery": Band(low=(Limit(20, State.WARN, "low"),), scale=20),
}


@dataclass(frozen=True)
class Assessment:
    """What a value means: its state, the words for it, which side of the band, and how far out."""

    metric: str
    state: State
    text: str
    side: str  # "" inside the band, "high" or "low" outside it
    excess: float  # distance past the nearest limit, in units of the band's scale (0 inside)


def assess(metric: str, value: float) -> Assessment | None:
    """The state of `value` for `metric`, or None for a metric without a comfort band."""
    band = BANDS.get(metric)
    if band is None:
        return None
    for side, limits in (("high", band.high), ("low", band.low)):
        passed = [
            limit for limit in limits if (value > limit.value if side == "high" else value < limit.value)
        ]
        if passed:
            worst = passed[-1]
            nearest = limits[0].value
            return Assessment(metric, worst.state, worst.text, side, abs(value - nearest) / band.scale)
    return Assessment(metric, State.OK, band.ok_text, "", 0.0)


def limits_of(metric: str) -> list[tuple[str, Limit]]:
    """Every limit of `metric`'s band (none for a metric without one) with the side it bounds, `under`
    or `over`, for lines on its chart."""
    band = BANDS.get(metric)
    if band is None:
        return []
    return [("under", limit) for limit in band.low] + [("over", limit) for limit in band.high]


def most_out_of_band(values: dict[str, float]) -> Assessment | None:
    """The value furthest out of its band (worst state first), or None when every value is inside."""
    found = [a for metric, value in values.items() if (a := assess(metric, value)) and a.state > State.OK]
    return max(found, key=lambda a: (a.state, a.excess), default=None)
