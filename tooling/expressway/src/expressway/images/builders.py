"""Builder backends: docker buildx when a Docker engine answers, podman otherwise."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from expressway.images.auth import RegistryAuth
from expressway.images.context import BuildContext
from expressway.images.errors import ImageError
from expressway.images.process import Runner, run


def registry_host(reference: str) -> str:
    """The registry part of `host[:port]/repo[:tag]`."""
    return reference.split("/", 1)[0]


def is_loopback_registry(reference: str) -> bool:
    """Whether the reference points at a registry on this machine, which speaks plain HTTP."""
    host = registry_host(reference).rsplit(":", 1)[0]
    return host in {"127.0.0.1", "localhost", "[::1]"}


class Builder(Protocol):
    """Builds a context into a local image and pushes it, returning the registry's digest."""

    @property
    def name(self) -> str:
        """Which tool builds: `docker` or `podman`."""
        ...

    def build_command(self, context: BuildContext, image: str) -> list[str]:
        """The exact command `build` runs, which a person can also run by hand."""
        ...

    def build(self, context: BuildContext, image: str) -> None:
        """Build the context into a local image named `image`."""
        ...

    def push(self, image: str, destination: str, auth: RegistryAuth | None) -> str:
        """Push a local image to `destination` (`host/repo:tag`); return its manifest digest."""
        ...


@dataclass(frozen=True)
class Podman:
    """Builds with `podman build` (daemonless); `env` can point it at its own config and storage."""

    env: Mapping[str, str] = field(default_factory=dict)
    runner: Runner = run
    name: str = "podman"

    def build_command(self, context: BuildContext, image: str) -> list[str]:
        # --timestamp pins every file's mtime and the config's dates: same context, same image ID.
        return [
            "podman", "build", "--platform", context.spec.platform,
            "--timestamp", str(context.epoch), "--tag", image, str(context.path),
        ]  # fmt: skip

    def build(self, context: BuildContext, image: str) -> None:
        self.runner(self.build_command(context, image), env=self.env)

    def push(self, image: str, destination: str, auth: RegistryAuth | None) -> str:
        with tempfile.TemporaryDirectory(prefix="expressway-push-") as scratch:
            digest_file = Path(scratch) / "digest"
            # A throwaway auth file keeps the token out of `ps` and out of the user's own login.
            authfile = Path(scratch) / "auth.json"
            command = ["podman", "push", "--digestfile", str(digest_file)]
            if is_loopback_registry(destination):
                command.append("--tls-verify=false")
            if auth is not None:
                self.runner(
                    [
                        "podman",
                        "login",
                        "--authfile",
                        str(authfile),
                        "--username",
                        auth.username,
                        "--password-stdin",
                        registry_host(destination),
                    ],
                    env=self.env,
                    input_text=auth.password,
                )
                command += ["--authfile", str(authfile)]
            self.runner([*command, image, f"docker://{destination}"], env=self.env)
            return digest_file.read_text().strip()


@dataclass(frozen=True)
class DockerBuildx:
    """Builds with `docker buildx` against a running Docker engine."""

    runner: Runner = run
    name: str = "docker"

    def build_command(self, context: BuildContext, image: str) -> list[str]:
        # SOURCE_DATE_EPOCH + rewrite-timestamp is BuildKit's way to a reproducible image.
        return [
            "docker", "buildx", "build", "--platform", context.spec.platform,
            "--build-arg", f"SOURCE_DATE_EPOCH={context.epoch}",
            "--output", f"type=docker,name={image},rewrite-timestamp=true", str(context.path),
        ]  # fmt: skip

    def build(self, context: BuildContext, image: str) -> None:
        self.runner(self.build_command(context, image))

    def push(self, image: str, destination: str, auth: RegistryAuth | None) -> str:
        # The login lands in the user's Docker config, as `aws ecr get-login-password | docker
        # login` would: a private DOCKER_CONFIG would also drop their engine context.
        if auth is not None:
            self.runner(
                [
                    "docker",
                    "login",
                    "--username",
                    auth.username,
                    "--password-stdin",
                    registry_host(destination),
                ],
                input_text=auth.password,
            )
        self.runner(["docker", "tag", image, destination])
        pushed = self.runner(["docker", "push", destination]).stdout
        for line in pushed.splitlines():
            if "digest: sha256:" in line:
                return "sha256:" + line.split("digest: sha256:", 1)[1].split()[0]
        raise ImageError(f"push of {destination} failed: docker printed no digest")


def docker_engine_answers(runner: Runner = run) -> bool:
    """Whether `docker` is installed, its engine answers and buildx is available."""
    if shutil.which("docker") is None:
        return False
    try:
        runner(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=15)
        runner(["docker", "buildx", "version"], timeout=15)
    except ImageError:
        return False
    return True


def detect_builder(*, podman_env: Mapping[str, str] | None = None, runner: Runner = run) -> Builder:
    """docker buildx when a Docker engine answers (a client alone is not enough), else podman."""
    if docker_engine_answers(runner):
        return DockerBuildx(runner=runner)
    if shutil.which("podman") is not None:
        return Podman(env=dict(podman_env or {}), runner=runner)
    raise ImageError(
        "no container builder: no Docker engine answers and podman is not installed",
        hint="start Docker, or install podman (Debian: `apt-get install podman runc`)",
    )
