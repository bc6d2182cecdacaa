"""Deterministic simulator of smart meters, weather, weather forecasts and labelled anomalies.

Why it exists: the lakehouse must run end to end with no network and no real data, and anomaly
detectors need an answer key. Every table for UTC day D is a pure function of (config, D): nothing
reads the clock and nothing carries state from one day to the next, so each Dagster daily partition
can be built alone, in any order, and re-running it gives identical rows.

How randomness stays independent of everything but (seed, what, when):
- a meter's draws for a day come from `default_rng([seed, meter_index, day_ordinal, stream])`;
- multi-day phenomena are pure functions of time: weather anomalies are sums of seeded sinusoids,
  theft periods are drawn per (seed, 28-day block) and Wh weeks per (seed, 56-day block), so any
  day can tell on its own whether it lies inside one;
- draws shared by all meters (theft blocks) take row `i` of a `(n_meters, k)` uniform draw, which
  depends only on `i` because each uniform consumes a fixed share of the stream: meter `i` behaves
  the same whatever `n_meters` is.

Bronze keeps what real exports look like (duplicates, late and revised re-sends, gaps, NaN,
estimated readings, a meter reporting Wh as kWh, an unregistered meter id); silver cleans it.

Modules: `config` (constants, locations, array helpers), `weather`, `meters`, `profiles` (local
calendar and load shapes), `anomalies` (injected anomalies and their labels), `readings`.
"""

from energy_assets.sources.simulator.config import (
    CUSTOMER_TYPES,
    HEATING_BASE_C,
    LOCATIONS,
    SOURCE,
    UNKNOWN_METER_ID,
    SimulatorConfig,
)
from energy_assets.sources.simulator.meters import (
    clean_meter_ids,
    simulate_meters,
    unit_error_meter_id,
)
from energy_assets.sources.simulator.readings import SimulatedReadings, simulate_readings
from energy_assets.sources.simulator.weather import simulate_weather, true_weather

__all__ = [
    "CUSTOMER_TYPES",
    "HEATING_BASE_C",
    "LOCATIONS",
    "SOURCE",
    "UNKNOWN_METER_ID",
    "SimulatedReadings",
    "SimulatorConfig",
    "clean_meter_ids",
    "simulate_meters",
    "simulate_readings",
    "simulate_weather",
    "true_weather",
    "unit_error_meter_id",
]
