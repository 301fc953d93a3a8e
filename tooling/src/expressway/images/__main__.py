"""`python -m expressway.images`: assemble one service's build context to build it by hand."""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from expressway.images.builders import DockerBuildx, Podman
from expressway.images.context import assemble_context
from expressway.images.errors import ImageError
from expressway.images.spec import DEFAULT_BASE_IMAGE, ImageSpec
from expressway.images.tagging import read_revision, source_url


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m expressway.images",
        description="Assemble a service's build context (Dockerfile, deps/, app/) and print the "
        "command that builds it.",
    )
    parser.add_argument("service", help="The service's key in services.toml, e.g. sensors.")
    parser.add_argument("--out", type=Path, help="Folder to write the context to.")
    parser.add_argument("--root", type=Path, default=Path(), help="The workspace root.")
    parser.add_argument("--arch", choices=["x86_64", "arm64"], default="x86_64", help="The CPU to build for.")
    parser.add_argument("--base", default=DEFAULT_BASE_IMAGE, help="The base image.")
    parser.add_argument("--python", help="The base image's Python (3.N) if not in its tag.")
    return parser


def spec_from_files(root: Path, service: str, **overrides: str | None) -> ImageSpec:
    """An ImageSpec from services.toml and the service's pyproject.toml."""
    try:
        entry = tomllib.loads((root / "services.toml").read_text())["services"][service]
        manifest = tomllib.loads((root / entry["path"] / "pyproject.toml").read_text())
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise ImageError(
            f"cannot describe image {service!r}: services.toml or its pyproject.toml is "
            f"missing or has no such service ({exc})"
        ) from exc
    return ImageSpec(
        service=service,
        distribution=manifest["project"]["name"],
        path=entry["path"],
        app=entry["app"],
        port=int(entry.get("port", 8000)),
        architecture="arm64" if overrides.get("arch") == "arm64" else "x86_64",
        base_image=overrides.get("base") or DEFAULT_BASE_IMAGE,
        python_version=overrides.get("python"),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Write the context and print, on stdout, the podman and docker commands that build it."""
    args = _parser().parse_args(argv)
    root = args.root.resolve()
    try:
        revision = read_revision(root)
        spec = spec_from_files(root, args.service, arch=args.arch, base=args.base, python=args.python)
        spec = replace(spec, revision=revision.sha, source=source_url(root))
        out = args.out or root / ".work" / "images" / args.service
        context = assemble_context(spec, root, out.resolve(), epoch=revision.epoch)
    except ImageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        if exc.hint:
            sys.stderr.write(f"\nhint: {exc.hint}\n")
        return 1
    image = f"localhost/{spec.service}:{revision.tag}"
    for builder in (Podman(), DockerBuildx()):
        sys.stdout.write(" ".join(builder.build_command(context, image)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
