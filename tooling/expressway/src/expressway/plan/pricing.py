"""The price table behind `expressway cost`: documented on-demand prices per region, overridable by a file."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from expressway.errors import ConfigError

HOURS_PER_MONTH = 730.0


@dataclass(frozen=True)
class Prices:
    """USD on-demand prices of what an Express service costs while it runs (Linux, per hour)."""

    region: str
    date: str  # when the figures were collected; prices change, so the output always shows it
    source: str
    alb_hour: float
    vcpu_hour_x86: float
    gb_hour_x86: float
    vcpu_hour_arm: float
    gb_hour_arm: float
    ipv4_hour: float
    hours_per_month: float = HOURS_PER_MONTH

    def per_month(self, hourly: float) -> float:
        return hourly * self.hours_per_month

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_SOURCE = "AWS Fargate, Elastic Load Balancing and Amazon VPC (public IPv4) pricing pages (docs/aws-facts.md)"
# The same Fargate rates in both regions; the ALB hour differs (docs/aws-facts.md, section 6).
BUILT_IN: dict[str, Prices] = {
    "us-east-1": Prices(
        region="us-east-1",
        date="2026-11",
        source=_SOURCE,
        alb_hour=0.0225,
        vcpu_hour_x86=0.04048,
        gb_hour_x86=0.004445,
        vcpu_hour_arm=0.03238,
        gb_hour_arm=0.00356,
        ipv4_hour=0.005,
    ),
    "eu-west-1": Prices(
        region="eu-west-1",
        date="2026-11",
        source=_SOURCE,
        alb_hour=0.0252,
        vcpu_hour_x86=0.04048,
        gb_hour_x86=0.004445,
        vcpu_hour_arm=0.03238,
        gb_hour_arm=0.00356,
        ipv4_hour=0.005,
    ),
}
_NUMBERS = {f.name for f in fields(Prices) if f.type in ("float", float)}
_TEXT = {"date", "source"}


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError([f"cannot read prices file {path}: {exc.strerror}"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"prices file {path}: not valid TOML: {exc}"]) from exc
    table = raw.get("prices", raw)
    if not isinstance(table, dict):
        raise ConfigError([f"prices file {path}: [prices] must be a table"])
    return table


def estimate_prices(region: str) -> Prices:
    """The built-in prices of `region`, else the dearest built-in ones (for a warning, not a bill)."""
    return BUILT_IN.get(region) or max(BUILT_IN.values(), key=lambda p: p.alb_hour)


def prices_for(region: str, override: Path | None = None) -> Prices:
    """The built-in prices of `region`, with any keys from the TOML file `override` replacing them.

    The file holds a `[prices]` table (or top-level keys) named like the fields of `Prices`; a region
    without built-in prices needs every number from the file.
    """
    base = BUILT_IN.get(region)
    given = _read(override) if override else {}
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key, value in given.items():
        if key in _NUMBERS and isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            values[key] = float(value)
        elif key in _TEXT and isinstance(value, str):
            values[key] = value
        elif key in _NUMBERS or key in _TEXT:
            problems.append(f"prices.{key}: {value!r} is not valid; use a number >= 0 (USD per hour)")
        else:
            known = ", ".join(sorted(_NUMBERS | _TEXT))
            problems.append(f"prices.{key}: unknown key; valid keys: {known}")
    if problems:
        raise ConfigError([f"prices file {override}: {p}" for p in problems])
    if base is not None:
        label = {"source": f"{base.source} + {override}"} if override and "source" not in values else {}
        return replace(base, **{**values, **label})
    missing = sorted(_NUMBERS - {"hours_per_month"} - set(values))
    if missing:
        raise ConfigError(
            [f"no built-in prices for region {region}: missing {', '.join(missing)}"],
            hint=f"built-in regions: {', '.join(sorted(BUILT_IN))}; pass --prices FILE with a [prices] "
            "table giving every price for this region",
        )
    return Prices(
        region=region,
        date=str(values.pop("date", "unknown")),
        source=str(values.pop("source", str(override))),
        **values,
    )
