"""The Python an image runs is the Python CI tests the services on: one version everywhere."""

from __future__ import annotations

import re
from pathlib import Path

from expressway.images.spec import image_spec
from expressway.registry import DEFAULT_BASE_IMAGE, load, resolve

ROOT = Path(__file__).resolve().parents[3]


def test_images_run_the_python_the_tests_run_on() -> None:
    tested = re.search(r'^PYTHON = "(3\.\d+)"$', (ROOT / "noxfile.py").read_text(), re.MULTILINE)
    assert tested is not None, "noxfile.py names the Python its sessions run on"
    assert (ROOT / ".python-version").read_text().strip() == tested.group(1)
    registry = load(ROOT / "services.toml")
    for env in registry.environments:
        for key in registry.services:
            spec = image_spec(ROOT, resolve(registry, key, env))
            assert spec.python == tested.group(1), (env, key, spec.base_image)
    assert f"python:{tested.group(1)}-slim" == DEFAULT_BASE_IMAGE
