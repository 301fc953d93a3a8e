"""Builder backends: the commands they run, how they log in and push, and which one is chosen."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from expressway.images.auth import RegistryAuth
from expressway.images.builders import DockerBuildx, Podman, detect_builder
from expressway.images.context import BuildContext
from expressway.images.errors import ImageError
from expressway.images.process import Completed, run
from expressway.images.spec import ImageSpec

CONTEXT = BuildContext(
    spec=ImageSpec(
        service="sensors",
        distribution="homestack-sensors",
        path="services/sensors",
        app="homestack_sensors.app:app",
        architecture="arm64",
    ),
    path=Path("/ctx/sensors"),
    digest="sha256:abc",
    epoch=1767225600,
)
DIGEST = "sha256:" + "d" * 64


@dataclass
class Recorder:
    """A Runner that records each command and answers like the real tool would."""

    calls: list[tuple[list[str], Mapping[str, str] | None, str | None]] = field(default_factory=list)

    def __call__(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        input_text: str | None = None,
        timeout: float = 900.0,
    ) -> Completed:
        command = list(args)
        self.calls.append((command, env, input_text))
        if command[:2] == ["podman", "push"]:
            digest_file = Path(command[command.index("--digestfile") + 1])
            digest_file.write_text(DIGEST)
        if command[:2] == ["docker", "push"]:
            return Completed(stdout=f"abc: digest: {DIGEST} size: 1234\n", stderr="")
        return Completed(stdout="", stderr="")

    @property
    def commands(self) -> list[list[str]]:
        return [command for command, _, _ in self.calls]


def test_podman_builds_for_the_specs_platform_with_a_pinned_timestamp() -> None:
    recorder = Recorder()
    Podman(env={"CONTAINERS_CONF": "/w/containers.conf"}, runner=recorder).build(CONTEXT, "x:1")
    command, env, _ = recorder.calls[0]
    assert command == [
        "podman", "build", "--platform", "linux/arm64", "--timestamp", "1767225600",
        "--tag", "x:1", "/ctx/sensors",
    ]  # fmt: skip
    assert env == {"CONTAINERS_CONF": "/w/containers.conf"}


def test_podman_push_to_ecr_logs_in_through_stdin_and_returns_the_pushed_digest() -> None:
    recorder = Recorder()
    destination = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/homestack-sensors:abc"
    digest = Podman(runner=recorder).push("x:1", destination, RegistryAuth("AWS", "s3cret"))
    assert digest == DIGEST
    (login, _, secret), (push, _, _) = recorder.calls
    assert login[:2] == ["podman", "login"]
    assert login[-1] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    assert secret == "s3cret"
    assert all("s3cret" not in part for command in recorder.commands for part in command)
    assert push[-2:] == ["x:1", f"docker://{destination}"]
    assert "--tls-verify=false" not in push
    assert push[push.index("--authfile") + 1] == login[login.index("--authfile") + 1]


def test_podman_push_to_a_loopback_registry_uses_plain_http_and_no_login() -> None:
    recorder = Recorder()
    Podman(runner=recorder).push("x:1", "127.0.0.1:5000/sensors:abc", None)
    [push] = recorder.commands
    assert "--tls-verify=false" in push
    assert "--authfile" not in push


def test_docker_builds_with_buildx_reproducibly_for_the_platform() -> None:
    recorder = Recorder()
    DockerBuildx(runner=recorder).build(CONTEXT, "x:1")
    [command] = recorder.commands
    assert command[:3] == ["docker", "buildx", "build"]
    assert command[command.index("--platform") + 1] == "linux/arm64"
    assert "SOURCE_DATE_EPOCH=1767225600" in command
    assert "type=docker,name=x:1,rewrite-timestamp=true" in command


def test_docker_push_logs_in_tags_pushes_and_reads_the_digest_it_prints() -> None:
    recorder = Recorder()
    digest = DockerBuildx(runner=recorder).push("x:1", "reg.example/s:abc", RegistryAuth("AWS", "t"))
    assert digest == DIGEST
    assert [command[:2] for command in recorder.commands] == [
        ["docker", "login"], ["docker", "tag"], ["docker", "push"],
    ]  # fmt: skip
    assert recorder.calls[0][2] == "t"


def fake_tool(folder: Path, name: str, exit_code: int) -> None:
    script = folder / name
    script.write_text(f"#!/bin/sh\nexit {exit_code}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_docker_client_without_an_answering_engine_falls_back_to_podman(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_tool(tmp_path, "docker", 1)  # like this machine: a client whose daemon is not running
    fake_tool(tmp_path, "podman", 0)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert detect_builder().name == "podman"


def test_answering_docker_engine_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_tool(tmp_path, "docker", 0)
    fake_tool(tmp_path, "podman", 0)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert detect_builder().name == "docker"


def test_no_builder_at_all_is_an_error_with_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ImageError, match="no container builder") as caught:
        detect_builder()
    assert caught.value.hint is not None
    assert "podman" in caught.value.hint


def test_failing_tool_reports_its_exit_code_and_stderr(tmp_path: Path) -> None:
    script = tmp_path / "tool"
    script.write_text("#!/bin/sh\necho 'base image not found' >&2\nexit 3\n")
    script.chmod(0o755)
    with pytest.raises(ImageError, match="exit code 3") as caught:
        run([str(script), "build"], env={"PATH": os.environ["PATH"]})
    assert "base image not found" in str(caught.value)
