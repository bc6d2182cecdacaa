"""The project's Dagster `Definitions`: what `dagster dev` and `energy-lake` load."""

from __future__ import annotations

import dagster as dg

from energy_assets.assets import bronze, gold, silver
from energy_assets.resources import LakeResource

ASSETS = [
    bronze.bronze_meters,
    bronze.bronze_meter_readings,
    bronze.bronze_weather,
    silver.silver_meters,
    silver.silver_meter_readings,
    silver.silver_weather,
    gold.consumption_features,
    gold.quality_scorecard_asset,
]

defs = dg.Definitions(assets=ASSETS, resources={"lake": LakeResource()})
