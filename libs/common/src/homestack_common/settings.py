"""Settings base for every service, built on demand (never at import) and overridable in tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from threading import Lock
from typing import Generic, Literal, TypeVar

from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["debug", "info", "warning", "error", "critical"]
LogFormat = Literal["auto", "json", "text"]


class ServiceSettings(BaseSettings):
    """What every service reads from its environment; services subclass it and add their own fields."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, env_ignore_empty=True)

    app_version: str = "dev"
    log_level: LogLevel = "info"
    log_format: LogFormat = "auto"


S = TypeVar("S", bound=ServiceSettings)


class SettingsProvider(Generic[S]):
    """A cached getter for one settings class, usable as a FastAPI dependency.

    The environment is read the first time the getter is called, not when it is created, so importing a
    service never needs a full environment. Tests swap the value with `override()`.
    """

    def __init__(self, settings_class: type[S]) -> None:
        self._settings_class = settings_class
        self._value: S | None = None
        self._lock = Lock()

    def __call__(self) -> S:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._settings_class()
                value = self._value
        return value

    def cache_clear(self) -> None:
        """Forget the cached value: the next call reads the environment again."""
        with self._lock:
            self._value = None

    @contextmanager
    def override(self, settings: S) -> Iterator[S]:
        """Use `settings` instead of the environment until the block ends."""
        with self._lock:
            previous, self._value = self._value, settings
        try:
            yield settings
        finally:
            with self._lock:
                self._value = previous


def settings_provider(settings_class: type[S]) -> SettingsProvider[S]:
    """Make the cached getter for `settings_class` (one per service, at module level)."""
    return SettingsProvider(settings_class)
