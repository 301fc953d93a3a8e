"""The package's public surface is exactly what __all__ says (services import only from the top level)."""

import pkgutil

import homestack_sensordata


def test_every_public_name_is_in_all_and_nothing_else() -> None:
    submodules = {m.name for m in pkgutil.iter_modules(homestack_sensordata.__path__)}
    public = {n for n in vars(homestack_sensordata) if not n.startswith("_")} - submodules
    assert set(homestack_sensordata.__all__) == public
