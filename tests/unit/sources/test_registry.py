from __future__ import annotations

import pytest

from energy_assets.sources import registry


def test_sources_are_read_in_registry_order_and_an_unknown_name_fails_naming_it() -> None:
    names = [source.name for source in registry.configured(["landing", "simulator"])]
    assert names == ["simulator", "landing"]
    with pytest.raises(ValueError, match=r"unknown sources \['nope'\]"):
        registry.configured(["simulator", "nope"])
