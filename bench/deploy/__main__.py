"""Deploy benchmark: no-change deploy, `plan --all` of 25 services, 12 deploys parallel vs serial.

Runs expressway's real Deployer against the Express Mode emulation served by its own process on
loopback (`python -m localcloud.server`, so AWS's side does not share our interpreter), where
every deployment takes `--delay` seconds. Baselines run beside the measurements: a create deploy for
the no-change deploy, and 12 deploys one after another for the parallel fleet deploy (whose median is
"one deploy"). Prints figures, ratios and PASS/MISS.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx

# Fake, local-only credentials before boto3 is imported anywhere: nothing may reach real AWS.
os.environ.update(
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",
    AWS_DEFAULT_REGION="eu-west-1",
    AWS_CONFIG_FILE="/dev/null",
    AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    MOTO_EC2_LOAD_DEFAULT_AMIS="false",
    MOTO_IAM_LOAD_MANAGED_POLICIES="true",
)
for _var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_var, None)

import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402

from expressway.aws import session  # noqa: E402
from expressway.aws.iam import Iam  # noqa: E402
from expressway.aws.sts import identity  # noqa: E402
from expressway.deploy.deployer import Deployer, Options  # noqa: E402
from expressway.deploy.fleet import Operator  # noqa: E402
from expressway.deploy.prerequisites import ensure_boundary  # noqa: E402
from expressway.deploy.waiting import HttpProber  # noqa: E402
from expressway.images.source import GivenImages  # noqa: E402
from expressway.plan.arns import Arns  # noqa: E402
from expressway.registry import Registry, parse  # noqa: E402

VERSION = "bench0000000000000000000000000000000000000"
IMAGE = "public.ecr.aws/docker/library/python:3.12-slim"


@contextmanager
def emulator(delay: float) -> Iterator[str]:
    """The emulation server in its own process on a free loopback port; yields its URL."""
    command = [
        sys.executable,
        "-m",
        "localcloud.server",
        "--port",
        "0",
        "--deployment-seconds",
        str(delay),
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        if "listening on " not in line:
            raise SystemExit(f"emulator did not start: {line.strip()}")
        # Keep reading its request log, or a full pipe would block the server mid-benchmark.
        threading.Thread(target=process.stderr.read, daemon=True).start()
        yield line.rsplit("listening on ", 1)[1].strip()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def administer(reg: Registry) -> None:
    """What an administrator does once per environment: the roles' permissions boundary."""
    environment = reg.environment("prod")
    arns = Arns("aws", environment.region, identity(environment).account)
    ensure_boundary(Iam(environment), reg, "prod", arns)


def fleet(count: int, endpoint: str) -> Registry:
    """A registry of `count` independent small services, deployed through `endpoint`."""
    lines = [
        '[project]\nname = "bench"\n',
        f'[environments.prod]\nregion = "eu-west-1"\nendpoint = "{endpoint}"\n',
    ]
    for i in range(1, count + 1):
        lines.append(f'[services.svc{i:02d}]\npath = "services/svc{i:02d}"\napp = "svc{i:02d}.app:app"\n')
    return parse("\n".join(lines))


def deployer(reg: Registry, poll: float) -> Deployer:
    """A Deployer as `expressway deploy` builds one, with a health endpoint that always serves VERSION."""
    transport = httpx.MockTransport(lambda _: httpx.Response(200, json={"version": VERSION}))
    prober = HttpProber(transport, poll=poll)
    # The emulation's IAM is consistent at once, as the local cloud's: no settle time (the CLI does the same).
    options = Options(poll=poll, iam_settle=0.0)
    return Deployer(reg, "prod", GivenImages(IMAGE), prober, VERSION, lambda _: None, options)


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--delay", type=float, default=10.0, help="Seconds every deployment takes.")
    parser.add_argument("--poll", type=float, default=0.1, help="Deployer poll interval in seconds.")
    parser.add_argument("--repeat", type=int, default=5, help="Runs of the fast measurements (median).")
    args = parser.parse_args()
    with emulator(args.delay) as endpoint:
        reg = fleet(25, endpoint)
        administer(reg)
        names = sorted(reg.services)
        first = timed(lambda: deployer(reg, args.poll).deploy(names[0]))  # also creates shared resources
        unchanged: list[float] = []
        calls: list[int] = []
        for _ in range(args.repeat):
            session.calls.clear()
            unchanged.append(timed(lambda: deployer(reg, args.poll).deploy(names[0])))
            calls.append(session.call_count())
        # Both through the fleet path `expressway deploy` takes: a lock and a record per service.
        serial_each = [
            timed(functools.partial(Operator(deployer(reg, args.poll)).deploy, n)) for n in names[1:13]
        ]
        parallel = timed(lambda: Operator(deployer(reg, args.poll)).deploy_many(names[13:25], parallel=25))
        plans = [timed(lambda: deployer(reg, args.poll).plan(names)) for _ in range(args.repeat)]
    serial, single = sum(serial_each), statistics.median(serial_each)
    no_change, plan_all = statistics.median(unchanged), statistics.median(plans)
    print(
        f"deploy benchmark: emulated deployment delay {args.delay:.1f} s, poll {args.poll:.2f} s, server mode"
    )
    print(f"{'measurement':<44}{'value':>12}  {'baseline / ratio':<28}target")
    rows = [
        ("first deploy (create, with shared resources)", f"{first:.2f} s", "", ""),
        ("one deploy (create), median of the 12 below", f"{single:.2f} s", "(baseline)", ""),
        (
            "no-change deploy, median",
            f"{no_change:.3f} s",
            f"x{single / no_change:.0f} faster than a deploy",
            f"< 1 s  {verdict(no_change < 1)}",
        ),
        ("no-change deploy, AWS calls", f"{max(calls)}", "", f"<= 5   {verdict(max(calls) <= 5)}"),
        ("plan --all, 25 services, median", f"{plan_all:.3f} s", "", f"< 2 s  {verdict(plan_all < 2)}"),
        ("deploy 12 services one after another", f"{serial:.2f} s", "(baseline)", ""),
        (
            "deploy --all 12 services in parallel",
            f"{parallel:.2f} s",
            f"x{parallel / single:.2f} of one deploy, x{serial / parallel:.1f} faster than serial",
            f"<= 1.5x one deploy  {verdict(parallel <= 1.5 * single)}",
        ),
    ]
    for name, value, ratio, target in rows:
        print(f"{name:<44}{value:>12}  {ratio:<28}{target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
