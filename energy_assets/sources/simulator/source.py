"""The simulator as a bronze source: meters, and readings, labels and weather made day by day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from checks.contracts import (
    BRONZE_ANOMALY_LABELS,
    BRONZE_METER_READINGS,
    BRONZE_METERS,
    BRONZE_WEATHER,
)
from energy_assets.settings import Settings
from energy_assets.sources.base import Received, SourceRun
from energy_assets.sources.simulator.config import SOURCE, SimulatorConfig
from energy_assets.sources.simulator.meters import simulate_meters
from energy_assets.sources.simulator.readings import simulate_readings
from energy_assets.sources.simulator.weather import simulate_weather


def simulator_config(settings: Settings) -> SimulatorConfig:
    """The simulator's seed and size, as the environment sets them."""
    return SimulatorConfig(seed=settings.simulator_seed, n_meters=settings.simulator_meters)


def simulated_readings(config: SimulatorConfig) -> Received:
    """Readings and their anomaly labels, made when a chunk asks for its days."""

    def day_rows(day: date) -> Mapping[str, pa.Table]:
        simulated = simulate_readings(config, day)
        return {
            BRONZE_METER_READINGS.name: simulated.readings,
            BRONZE_ANOMALY_LABELS.name: simulated.labels,
        }

    return Received(SOURCE, per_day=day_rows)


def simulated_weather(config: SimulatorConfig) -> Received:
    """Weather observations and forecasts, made when a chunk asks for its days."""
    return Received(
        SOURCE, per_day=lambda day: {BRONZE_WEATHER.name: simulate_weather(config, day)}
    )


@dataclass(frozen=True)
class SimulatorSource:
    """Deterministic per (seed, meter, day): no network, any date range."""

    name: str = SOURCE
    api_tables: frozenset[str] = frozenset()

    def meters(self, run: SourceRun) -> Received:
        config = simulator_config(run.settings)
        return Received(self.name, {BRONZE_METERS.name: [simulate_meters(config)]})

    def readings(self, run: SourceRun, start: date, end: date) -> Received:
        return simulated_readings(simulator_config(run.settings))

    def weather(self, run: SourceRun, start: date, end: date) -> Received:
        return simulated_weather(simulator_config(run.settings))
