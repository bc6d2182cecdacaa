"""Builds the project's Dagster `Definitions` from every domain of `energy_assets/defs/`.

Each domain adds its assets, checks, jobs, schedules and sensors to the lists below.
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from energy_assets.defs import conditions as automation_conditions
from energy_assets.defs.anomalies import assets as anomaly_assets
from energy_assets.defs.forecasting import assets as forecasting_assets
from energy_assets.defs.forecasting import automation as forecast_automation
from energy_assets.defs.lake import automation as lake_automation
from energy_assets.defs.lake import bronze, gold, retention, silver
from energy_assets.defs.lake import carbon as carbon_assets
from energy_assets.defs.marts import assets as marts_assets
from energy_assets.defs.ops import automation as alerts
from energy_assets.defs.resources import LakeResource, MlflowResource
from energy_assets.defs.segments import assets as segment_assets
from energy_assets.defs.streaming import automation as streaming

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
    segment_assets.meter_clusters,
]

ASSET_CHECKS: list[dg.AssetChecksDefinition] = [forecast_automation.forecast_issued_check]

JOBS: list[dg.UnresolvedAssetJobDefinition | dg.JobDefinition] = [
    lake_automation.daily_lake_job,
    forecast_automation.model_training_job,
    forecast_automation.day_ahead_forecast_job,
    forecast_automation.forecast_freshness_job,
    retention.bronze_retention_job,
]

SCHEDULES: list[dg.ScheduleDefinition] = [
    lake_automation.daily_lake_schedule,
    forecast_automation.model_training_schedule,
    forecast_automation.forecast_freshness_schedule,
    retention.bronze_retention_schedule,
]

SENSORS: list[dg.SensorDefinition] = [
    lake_automation.landing_sensor,
    automation_conditions.lake_automation_sensor,
    alerts.run_failure_alerts,
    alerts.check_failure_alerts,
    forecast_automation.issue_forecast_sensor,
    streaming.mqtt_sensor,
]


def default_resources() -> dict[str, object]:
    """The resources of a local run: the lake and MLflow from the settings, dbt from the project."""
    return {
        "lake": LakeResource(),
        "dbt": marts_assets.dbt_resource(),
        "mlflow_tracking": MlflowResource(),
    }


def build_defs(resource_overrides: Mapping[str, object] | None = None) -> dg.Definitions:
    """The definitions, with `resource_overrides` replacing default resources by name (a test
    passes a lake on a temporary root instead of changing the environment)."""
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=ASSET_CHECKS,
        jobs=JOBS,
        schedules=SCHEDULES,
        sensors=SENSORS,
        resources={**default_resources(), **(resource_overrides or {})},
    )
