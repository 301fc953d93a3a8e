"""The figures the reliability session prints: what each check tried, injected, served and measured."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Figures:
    """Totals (cases tried, faults injected, ...) and per-check lines, filled in by the tests."""

    totals: Counter[str] = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)
    p99_ms: dict[str, float] = field(default_factory=dict)
    rss_growth_mib: dict[str, float] = field(default_factory=dict)
    facts: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, name: str, amount: int = 1) -> None:
        """Add to a total: `cases tried`, `faults injected`, `requests served`, `readings lost`."""
        with self._lock:
            self.totals[name] += amount

    def note(self, line: str) -> None:
        """A line of detail for the report, e.g. `ingest load: 12000 acknowledged, 0 missing`."""
        with self._lock:
            self.lines.append(line)

    def fact(self, name: str, value: str) -> None:
        """A named figure of its own in the block, e.g. what concurrent conflicting writers left behind."""
        with self._lock:
            self.facts[name] = value

    def report(self) -> list[str]:
        """The closing report, one figure per line."""
        out = ["reliability figures"]
        main = ("cases tried", "faults injected", "requests served", "readings lost")
        for name in (*main, *sorted(set(self.totals) - set(main))):
            out.append(f"  {name:<28} {self.totals[name]}")
        for name, value in sorted(self.p99_ms.items()):
            out.append(f"  {'p99 ' + name:<28} {value:.1f} ms")
        for name, value in sorted(self.rss_growth_mib.items()):
            out.append(f"  {'RSS growth ' + name:<28} {value:+.1f} MiB")
        for name, fact in self.facts.items():
            out.append(f"  {name:<28} {fact}")
        out += [f"  - {line}" for line in self.lines]
        return out
