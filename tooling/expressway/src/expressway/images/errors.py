"""The error raised when an image cannot be assembled, built, tagged or pushed."""

from __future__ import annotations

from expressway.errors import ExpresswayError


class ImageError(ExpresswayError):
    """Raised when an image cannot be assembled, built, tagged, pushed or read from a registry."""
