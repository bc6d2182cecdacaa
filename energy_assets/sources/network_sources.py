"""The network sources as bronze sources: Open-Meteo weather and éCO2mix regional consumption,
fetched for the run's window (or replayed from the responses kept in bronze, `ENERGY_API_REPLAY`).

Apart from `network.py` because `settings.py` builds its network settings from that module's
types, and these classes read those settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from checks.contracts import (
    BRONZE_GRID_CARBON_INTENSITY,
    BRONZE_METER_READINGS,
    BRONZE_METERS,
    BRONZE_WEATHER,
)
from energy_assets.settings import SourceSettings
from energy_assets.sources import eco2mix, open_meteo
from energy_assets.sources.base import Received, SourceRun
from energy_assets.sources.network import (
    SourceWindow,
    eco2mix_consumption,
    fetch_eco2mix,
    fetch_open_meteo,
    network_window,
    open_meteo_weather,
)
from energy_assets.transforms.cleaning import current_meters


def received(source: str, window: SourceWindow) -> Received:
    """What a network window gives bronze: its rows, and its responses and rejections (already
    quarantined by `network_window`) for the API checks."""
    return Received(
        source,
        {
            BRONZE_WEATHER.name: window.weather,
            BRONZE_METER_READINGS.name: window.readings,
            BRONZE_GRID_CARBON_INTENSITY.name: window.intensity,
        },
        responses=len(window.fetched),
        requests=window.requests,
        api_rejections=window.rejections,
    )


@dataclass(frozen=True)
class OpenMeteoSource:
    """Weather observations and issued forecasts at the locations of the meters bronze knows."""

    name: str = open_meteo.SOURCE
    api_tables: frozenset[str] = frozenset({BRONZE_WEATHER.name})

    def meters(self, run: SourceRun) -> Received:
        return Received(self.name)

    def readings(self, run: SourceRun, start: date, end: date) -> Received:
        return Received(self.name)

    def weather(self, run: SourceRun, start: date, end: date) -> Received:
        meters = current_meters(run.store.read(BRONZE_METERS)).table
        today = datetime.now(UTC).date()
        config = SourceSettings.from_env()
        window = network_window(
            run.store,
            config.is_replay,
            self.name,
            start,
            end,
            lambda: fetch_open_meteo(
                config.http.client(self.name),
                open_meteo.locations_of(meters, config.open_meteo),
                start,
                end,
                config.open_meteo,
                today,
            ),
            open_meteo_weather,
        )
        return received(self.name, window)


@dataclass(frozen=True)
class Eco2mixSource:
    """French regions as meters: their consumption and their grid's carbon intensity."""

    name: str = eco2mix.SOURCE
    api_tables: frozenset[str] = frozenset({BRONZE_METER_READINGS.name})

    def meters(self, run: SourceRun) -> Received:
        described_at = datetime.now(UTC)
        regions = eco2mix.region_meters(
            SourceSettings.from_env().eco2mix, described_at, f"{self.name}-meters"
        )
        return Received(self.name, {BRONZE_METERS.name: [regions]})

    def readings(self, run: SourceRun, start: date, end: date) -> Received:
        config = SourceSettings.from_env()
        window = network_window(
            run.store,
            config.is_replay,
            self.name,
            start,
            end,
            lambda: fetch_eco2mix(
                config.http.client(self.name, config.eco2mix.headers()),
                config.eco2mix,
                start,
                end,
            ),
            eco2mix_consumption,
        )
        return received(self.name, window)

    def weather(self, run: SourceRun, start: date, end: date) -> Received:
        return Received(self.name)
