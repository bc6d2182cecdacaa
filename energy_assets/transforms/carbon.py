"""Carbon footprint of the energy meters use: consumption x carbon intensity of the grid.

The intensity of an interval is the hourly mean of éCO2mix's published rate for the meter's
region (latest received value per half hour, so a consolidated value replaces the real-time one),
else the yearly factor of the meter's country from `grid_carbon_factors.csv`: Ember's Yearly
Electricity Data, carbon intensity of generation in 2023 (gCO2e/kWh), as shipped with codecarbon
3.3 (`codecarbon/data/private_infra/global_energy_mix.json`). A country without a factor gets
null emissions and says so (`intensity_source = unknown`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl
import pyarrow as pa

from checks.contracts import GOLD_CARBON_EMISSIONS

FACTORS_FILE = Path(__file__).with_name("grid_carbon_factors.csv")
FACTOR_SOURCE = "Ember Yearly Electricity Data (via codecarbon 3.3)"


@dataclass(frozen=True)
class CountryFactor:
    intensity_gco2e_per_kwh: float
    year: int

    @property
    def reference(self) -> str:
        return f"{FACTOR_SOURCE}, {self.year}"


@lru_cache(maxsize=1)
def country_factors() -> dict[str, CountryFactor]:
    """Yearly grid intensity by ISO 3166-1 alpha-2 country code."""
    with FACTORS_FILE.open() as handle:
        return {
            row["country"]: CountryFactor(float(row["intensity_gco2e_per_kwh"]), int(row["year"]))
            for row in csv.DictReader(handle)
        }


def hourly_intensity(intensity: pa.Table) -> pl.DataFrame:
    """Region x UTC hour: mean of the latest received value of each interval of the hour."""
    frame = pl.from_arrow(intensity)
    assert isinstance(frame, pl.DataFrame)
    return (
        frame.drop_nulls("carbon_intensity_gco2e_per_kwh")
        .sort("ingested_at_utc")
        .group_by(["region", "interval_start_utc"])
        .agg(pl.col("carbon_intensity_gco2e_per_kwh").last())
        .group_by(["region", pl.col("interval_start_utc").dt.truncate("1h").alias("hour_utc")])
        .agg(pl.col("carbon_intensity_gco2e_per_kwh").mean().alias("measured_gco2e_per_kwh"))
    )


def carbon_emissions(readings: pa.Table, meters: pa.Table, intensity: pa.Table) -> pa.Table:
    """Rows of `gold/carbon_emissions` (meter x UTC day) from silver readings of a window, the
    current meters and the window's grid intensity. Missing intervals count for nothing."""
    factors = pl.DataFrame(
        [
            {"country": c, "factor_gco2e_per_kwh": f.intensity_gco2e_per_kwh, "ref": f.reference}
            for c, f in country_factors().items()
        ],
        schema={"country": pl.String, "factor_gco2e_per_kwh": pl.Float64, "ref": pl.String},
    )
    registry = pl.DataFrame(
        meters.select(["meter_id", "region", "country"]).to_pylist(),
        schema={"meter_id": pl.String, "region": pl.String, "country": pl.String},
    )
    frame = pl.from_arrow(readings.select(["meter_id", "interval_start_utc", "energy_kwh", "day"]))
    assert isinstance(frame, pl.DataFrame)
    intervals = (
        frame.drop_nulls("energy_kwh")
        .join(registry, on="meter_id", how="left")
        .join(factors, on="country", how="left")
        .with_columns(hour_utc=pl.col("interval_start_utc").dt.truncate("1h"))
        .join(hourly_intensity(intensity), on=["region", "hour_utc"], how="left")
        .with_columns(
            is_measured=pl.col("measured_gco2e_per_kwh").is_not_null(),
            gco2e=pl.col("energy_kwh")
            * pl.coalesce("measured_gco2e_per_kwh", "factor_gco2e_per_kwh"),
        )
    )
    daily = intervals.group_by(["meter_id", "day"]).agg(
        pl.col("region").first(),
        pl.col("country").first(),
        pl.col("energy_kwh").sum(),
        pl.col("gco2e").sum().alias("known_gco2e"),
        pl.col("gco2e").is_null().any().alias("has_unknown"),
        pl.col("is_measured").mean().alias("measured_share"),
        pl.col("ref").first(),
    )
    emissions_g = pl.when(pl.col("has_unknown")).then(None).otherwise(pl.col("known_gco2e"))
    result = daily.with_columns(
        emissions_kgco2e=emissions_g / 1000,
        intensity_gco2e_per_kwh=pl.when(pl.col("energy_kwh") != 0).then(
            emissions_g / pl.col("energy_kwh")
        ),
        intensity_source=pl.when(pl.col("has_unknown"))
        .then(pl.lit("unknown"))
        .when(pl.col("measured_share") == 1)
        .then(pl.lit("eco2mix"))
        .when(pl.col("measured_share") == 0)
        .then(pl.lit("country_factor"))
        .otherwise(pl.lit("mixed")),
        factor_reference=pl.when(pl.col("measured_share") < 1).then(pl.col("ref")),
    ).sort(["day", "meter_id"])
    return (
        result.select(GOLD_CARBON_EMISSIONS.columns).to_arrow().cast(GOLD_CARBON_EMISSIONS.schema)
    )
