"""The project's Dagster `Definitions`: what `dagster dev` and `energy-lake` load.

Each concern adds its assets, checks, jobs, schedules, sensors and resources to the lists below.
"""

from __future__ import annotations

import dagster as dg

from energy_assets.assets import bronze, gold, silver
from energy_assets.resources import LakeResource

ASSETS: list[dg.AssetsDefinition] = [
    bronze.bronze_meters,
    bronze.bronze_meter_readings,
    bronze.bronze_weather,
    silver.silver_meters,
    silver.silver_meter_readings,
    silver.silver_weather,
    gold.consumption_features,
    gold.quality_scorecard_asset,
]

ASSET_CHECKS: list[dg.AssetChecksDefinition] = []

JOBS: list[dg.UnresolvedAssetJobDefinition] = []

SCHEDULES: list[dg.ScheduleDefinition] = []

SENSORS: list[dg.SensorDefinition] = []

RESOURCES: dict[str, object] = {"lake": LakeResource()}

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=ASSET_CHECKS,
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=SENSORS,
    resources=RESOURCES,
)
