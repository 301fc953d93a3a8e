"""`python -m expressway.images`: assemble one service's build context to build it by hand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from expressway.errors import ExpresswayError
from expressway.images.builders import DockerBuildx, Podman
from expressway.images.context import assemble_context
from expressway.images.spec import image_spec
from expressway.images.tagging import read_revision, source_url
from expressway.registry import load, resolve


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m expressway.images",
        description="Assemble a service's build context (Dockerfile, deps/, app/) and print the "
        "command that builds it.",
    )
    parser.add_argument("service", help="The service's key in services.toml, e.g. sensors.")
    parser.add_argument("--out", type=Path, help="Folder to write the context to.")
    parser.add_argument("--root", type=Path, default=Path(), help="The workspace root.")
    parser.add_argument("--env", help="The environment whose overrides apply (default: none).")
    parser.add_argument("--base", help="A base image other than the registry's.")
    parser.add_argument("--python", help="The base image's Python (3.N) if not in its tag.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Write the context and print, on stdout, the podman and docker commands that build it."""
    args = _parser().parse_args(argv)
    root = args.root.resolve()
    try:
        revision = read_revision(root)
        service = resolve(load(root / "services.toml"), args.service, args.env)
        spec = image_spec(
            root,
            service,
            revision=revision.sha,
            source=source_url(root),
            base_image=args.base,
            python_version=args.python,
        )
        out = args.out or root / ".work" / "images" / args.service
        context = assemble_context(spec, root, out.resolve(), epoch=revision.epoch)
    except ExpresswayError as exc:
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
