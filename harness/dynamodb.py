"""A local DynamoDB for benches: AWS's DynamoDB Local (fetched through npm, run on Java 17) or moto server.

DynamoDB Local is not open source, so it is never vendored: the npm package amplify-dynamodb-simulator
ships the 1.25.1 jar and is unpacked (npm pack + tar, never npm install) into a cache folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from harness.processes import child, free_port, python

NPM_PACKAGE = "amplify-dynamodb-simulator@2.9.30"  # ships DynamoDB Local 1.25.1
CACHE = Path(os.environ.get("HOMESTACK_CACHE", Path.home() / ".cache" / "homestack"))
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


def use_fake_credentials() -> None:
    """Make this process and its children use fake keys and no profile: benches never reach real AWS."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        os.environ.pop(name, None)
    os.environ.update(FAKE_CREDENTIALS)


def _answers(endpoint: str) -> bool:
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=5),
    )
    try:
        client.list_tables(Limit=1)
    except BotoCoreError:
        return False  # not listening yet
    return True


def fetch_dynamodb_local() -> Path:
    """The folder holding DynamoDBLocal.jar, unpacked from npm into the cache on first use."""
    target = CACHE / "dynamodb-local-1.25.1"
    jar = target / "DynamoDBLocal.jar"
    if jar.is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: it is needed to fetch DynamoDB Local")
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([npm, "pack", NPM_PACKAGE, "--silent"], cwd=scratch, check=True, capture_output=True)
        (tarball,) = Path(scratch).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            members = [m for m in archive.getmembers() if m.name.startswith("package/emulator/")]
            archive.extractall(scratch, members=members, filter="data")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        shutil.move(Path(scratch) / "package" / "emulator", target)
    return target


@contextlib.contextmanager
def dynamodb_local() -> Iterator[str]:
    """Run DynamoDB Local in memory on a free port; yield its endpoint URL."""
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java is not installed: DynamoDB Local needs a Java 17 runtime")
    folder = fetch_dynamodb_local()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    argv = [java, "-Djava.library.path=./DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar"]
    argv += ["-inMemory", "-port", str(port)]
    with child(argv, cwd=folder, ready=lambda: _answers(endpoint), what="DynamoDB Local", timeout=90):
        yield endpoint


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Run moto in server mode on a free port; yield its endpoint URL."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    argv = [python(), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with child(argv, env=FAKE_CREDENTIALS, ready=lambda: _answers(endpoint), what="moto server", timeout=60):
        yield endpoint


@contextlib.contextmanager
def local_dynamodb(engine: str = "auto") -> Iterator[tuple[str, str]]:
    """Yield (engine name, endpoint): DynamoDB Local when `engine` is auto and it can run, else moto."""
    with contextlib.ExitStack() as stack:
        if engine == "moto":
            name, endpoint = "moto server", stack.enter_context(moto_server())
        else:
            try:
                name, endpoint = "DynamoDB Local 1.25.1", stack.enter_context(dynamodb_local())
            except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
                if engine != "auto":
                    raise
                print(f"DynamoDB Local unavailable ({exc}); using moto server instead")
                name, endpoint = "moto server", stack.enter_context(moto_server())
        yield name, endpoint
