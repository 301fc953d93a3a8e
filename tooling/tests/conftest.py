"""Fixtures for expressway tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from expressway.testing import registry_text


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    """A valid services.toml in a temporary folder."""
    path = tmp_path / "services.toml"
    path.write_text(registry_text())
    return path
