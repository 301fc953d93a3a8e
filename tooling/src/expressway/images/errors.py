"""The error raised when an image cannot be assembled, built, tagged or pushed."""

from __future__ import annotations


class ImageError(Exception):
    """Raised for image failures a user can act on; `str()` reads `{what}: {why}`, plus a hint."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message
