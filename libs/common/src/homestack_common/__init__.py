"""Shared app factory, settings, logging, health, errors and cache for homestack services."""

from homestack_common.app import create_app
from homestack_common.cache import TtlCache
from homestack_common.errors import (
    ApiError,
    ConfigurationError,
    ErrorBody,
    ErrorDetail,
    error_response,
    error_responses,
)
from homestack_common.logging import configure_logging, flush_logs
from homestack_common.settings import ServiceSettings, SettingsProvider, settings_provider

__all__ = [
    "ApiError",
    "ConfigurationError",
    "ErrorBody",
    "ErrorDetail",
    "ServiceSettings",
    "SettingsProvider",
    "TtlCache",
    "configure_logging",
    "create_app",
    "error_response",
    "error_responses",
    "flush_logs",
    "settings_provider",
]
