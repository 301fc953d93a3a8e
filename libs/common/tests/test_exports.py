"""The package's public surface is exactly what __all__ says."""

import homestack_common

_SUBMODULES = {"app", "cache", "context", "errors", "health", "logging", "middleware", "settings", "testing"}


def test_every_public_name_is_in_all_and_nothing_else() -> None:
    public = {n for n in vars(homestack_common) if not n.startswith("_")} - _SUBMODULES
    assert set(homestack_common.__all__) == public
