"""Every source bronze can read, by the name `ENERGY_SOURCES` uses: adding one is one line here.

Registry order is the order bronze reads them, so a run's rows come out in the same order
whatever order `ENERGY_SOURCES` lists them in.
"""

from __future__ import annotations

from collections.abc import Iterable

from energy_assets.sources.base import Source
from energy_assets.sources.landing_inbox import LandingSource
from energy_assets.sources.mqtt.source import MqttSource
from energy_assets.sources.network_sources import Eco2mixSource, OpenMeteoSource
from energy_assets.sources.simulator.source import SimulatorSource

SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        SimulatorSource(),
        LandingSource(),
        OpenMeteoSource(),
        Eco2mixSource(),
        MqttSource(),
    )
}


def configured(names: Iterable[str]) -> list[Source]:
    """The registered sources among `names` (`ENERGY_SOURCES`), in registry order; an unknown
    name fails the run, naming it and the known ones."""
    wanted = set(names)
    unknown = sorted(wanted - set(SOURCES))
    if unknown:
        raise ValueError(f"ENERGY_SOURCES names unknown sources {unknown}; known: {list(SOURCES)}")
    return [source for name, source in SOURCES.items() if name in wanted]


def api_sources(table: str) -> list[str]:
    """The registered sources that fill bronze table `table` from API responses."""
    return [name for name, source in SOURCES.items() if table in source.api_tables]
