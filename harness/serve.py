"""Run the sensors API on this machine with no AWS account: moto server, demo sensors, then uvicorn.

`nox -s serve` (or `python -m harness.serve --port 8000`). Stop with Ctrl-C. Until the local cloud
(`nox -s dev`) serves the whole fleet, this is the quickest way to see the API answer.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess

from harness.dynamodb import local_dynamodb, use_fake_credentials
from harness.processes import ROOT, python
from harness.seed import seed


def main() -> int:
    parser = argparse.ArgumentParser(description="Serve the sensors API against a local, seeded DynamoDB")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--sensors", type=int, default=12, help="demo sensors to create")
    parser.add_argument("--engine", choices=["moto", "dynamodb-local", "auto"], default="moto")
    args = parser.parse_args()
    use_fake_credentials()
    with local_dynamodb(args.engine) as (engine, endpoint):
        ids = seed(endpoint, sensors=args.sensors)
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
            "SENSOR_TABLE": "homestack-sensors",
            "READINGS_TABLE": "homestack-readings",
            "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
        }
        url = f"http://127.0.0.1:{args.port}"
        print(f"{engine} at {endpoint} holds {len(ids)} demo sensors", flush=True)
        print(
            f"sensors API: {url}/sensors  (try {url}/sensors/{ids[0]}/readings, docs at {url}/docs)",
            flush=True,
        )
        argv = [python(), "-m", "uvicorn", "homestack_sensors.app:app", "--host", "127.0.0.1"]
        argv += ["--port", str(args.port), "--no-access-log"]
        with contextlib.suppress(KeyboardInterrupt):
            subprocess.run(argv, cwd=ROOT, env=env, check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
