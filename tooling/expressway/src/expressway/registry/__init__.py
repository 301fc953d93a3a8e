"""The registry: services.toml read into frozen models, its cross-field checks, `${...}` references
and the AWS names derived from it. Pure: no AWS, no network."""

from expressway.registry.loading import load, parse
from expressway.registry.models import (
    DEFAULT_BASE_IMAGE,
    Access,
    Environment,
    Project,
    Registry,
    ResolvedService,
    Scaling,
    Service,
    ServiceSettings,
    Table,
    resolve,
    schema,
)
from expressway.registry.names import Names

__all__ = [
    "DEFAULT_BASE_IMAGE",
    "Access",
    "Environment",
    "Names",
    "Project",
    "Registry",
    "ResolvedService",
    "Scaling",
    "Service",
    "ServiceSettings",
    "Table",
    "load",
    "parse",
    "resolve",
    "schema",
]
