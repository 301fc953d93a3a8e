"""Demo history: the last days of the simulated sensors' readings, posted through ingest when `dev`
starts, so the dashboard's 24 h and 7 d charts show real shapes on the first page load.

It runs as a child process with the workspace's Python, through ingest's own simulator classes
(the same sensors, by seed, as the live simulator that follows), so the local cloud does not import
a service. The readings go through ingest's API and its task role, like every other write.
"""

from __future__ import annotations

import sys

SCRIPT = """
import asyncio, os, sys
from datetime import UTC, datetime, timedelta

import httpx

from homestack_ingest.simulate import Config, Sender, Summary
from homestack_ingest.simulation import make_sensors


async def main(url: str, count: int, days: float, step: float) -> int:
    config = Config(url=url, key=os.environ["INGEST_API_KEY"], sensors=count)
    summary = Summary()
    now = datetime.now(UTC)
    sensors = make_sensors(count, config.seed)
    readings = []
    moment = now - timedelta(days=days)
    while moment < now - timedelta(seconds=step):
        readings += [sensor.read(moment) for sensor in sensors]
        moment += timedelta(seconds=step)
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        sender = Sender(client, config, summary)
        for start in range(0, len(readings), 500):
            await sender.deliver(readings[start : start + 500])
    print(f"stored {summary.stored} readings of the last {days:g} days ({summary.duplicates} already there)")
    return 0 if summary.given_up == 0 else 1


sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]))))
"""


def command(url: str, sensors: int, days: float = 7.0, step: float = 600.0) -> list[str]:
    """The seeding child's command line (the ingest key goes in its environment, never in argv)."""
    return [sys.executable, "-c", SCRIPT, url, str(sensors), str(days), str(step)]
