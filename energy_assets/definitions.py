"""The project's Dagster `Definitions`: what `dagster dev` and `energy-lake` load.

Each concern adds its assets, checks, jobs, schedules, sensors and resources to the lists below.
"""

from __future__ import annotations

import dagster as dg

from energy_assets.assets import anomalies as anomaly_assets
from energy_assets.assets import bronze, gold, silver
from energy_assets.assets import carbon as carbon_assets
from energy_assets.assets import clusters as cluster_assets
from energy_assets.assets import forecasting as forecasting_assets
from energy_assets.assets import marts as marts_assets
from energy_assets.automation import alerts, schedules
from energy_assets.automation import conditions as automation_conditions
from energy_assets.automation import forecasts as forecast_automation
from energy_assets.automation import landing as landing_automation
from energy_assets.automation import retention as retention_automation
from energy_assets.resources import LakeResource
from energy_assets.tracking import MlflowResource

ASSETS: list[dg.AssetsDefinition] = [
    bronze.bronze_meters,
    bronze.bronze_meter_readings,
    bronze.bronze_weather,
    silver.silver_meters,
    silver.silver_meter_readings,
    silver.silver_weather,
    gold.consumption_features,
    gold.quality_scorecard_asset,
    carbon_assets.carbon_emissions_asset,
    marts_assets.marts,
    marts_assets.marts_rebuilt_whole,
    forecasting_assets.day_ahead_model,
    forecasting_assets.day_ahead_forecasts,
    forecasting_assets.day_ahead_backtest,
    anomaly_assets.anomalies,
    anomaly_assets.anomaly_evaluation,
    cluster_assets.meter_clusters,
]

ASSET_CHECKS: list[dg.AssetChecksDefinition] = [forecast_automation.forecast_issued_check]

JOBS: list[dg.UnresolvedAssetJobDefinition | dg.JobDefinition] = [
    schedules.daily_lake_job,
    schedules.model_training_job,
    forecast_automation.day_ahead_forecast_job,
    forecast_automation.forecast_freshness_job,
    retention_automation.bronze_retention_job,
]

SCHEDULES: list[dg.ScheduleDefinition] = [
    schedules.daily_lake_schedule,
    schedules.model_training_schedule,
    forecast_automation.forecast_freshness_schedule,
    retention_automation.bronze_retention_schedule,
]

SENSORS: list[dg.SensorDefinition] = [
    landing_automation.landing_sensor,
    automation_conditions.lake_automation_sensor,
    alerts.run_failure_alerts,
    alerts.check_failure_alerts,
    forecast_automation.issue_forecast_sensor,
]

RESOURCES: dict[str, object] = {
    "lake": LakeResource(),
    "dbt": marts_assets.dbt_resource(),
    "mlflow_tracking": MlflowResource(),
}

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=ASSET_CHECKS,
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=SENSORS,
    resources=RESOURCES,
)
