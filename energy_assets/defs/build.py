"""Builds the project's Dagster `Definitions` from every domain of `energy_assets/defs/`.

The definition settings (start date, training cadence, issue hour) are read here, once, unless
the caller passes them; one `Partitioning` is built from them and handed to each domain's build,
which applies the decorators to its module-level asset, sensor and schedule functions.
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from energy_assets.defs import conditions as automation_conditions
from energy_assets.defs.anomalies import detection, evaluation
from energy_assets.defs.domain import DomainDefs
from energy_assets.defs.forecasting import automation as forecast_automation
from energy_assets.defs.forecasting import backtest, forecasts, training
from energy_assets.defs.lake import automation as lake_automation
from energy_assets.defs.lake import bronze, gold, retention, silver
from energy_assets.defs.lake import carbon as carbon_assets
from energy_assets.defs.marts import assets as marts_assets
from energy_assets.defs.ops import automation as alerts
from energy_assets.defs.partitions import Partitioning
from energy_assets.defs.resources import LakeResource, MlflowResource
from energy_assets.defs.segments import assets as segment_assets
from energy_assets.defs.streaming import automation as streaming
from energy_assets.settings import DefinitionSettings


def build_domains(settings: DefinitionSettings) -> DomainDefs:
    """Every domain's assets, checks, jobs, schedules and sensors, on the partitionings of
    `settings`."""
    partitioning = Partitioning.from_settings(settings)
    lake_automation_defs = lake_automation.build(partitioning)
    (daily_lake_job,) = lake_automation_defs.jobs
    forecasting = DomainDefs(
        assets=[
            training.build_model(partitioning),
            forecasts.build_forecasts(partitioning, settings.forecast_issue_hour_utc),
            backtest.build_backtest(partitioning),
        ]
    )
    anomalies = DomainDefs(
        assets=[detection.build_anomalies(partitioning), evaluation.build_evaluation()]
    )
    return (
        bronze.build(partitioning)
        + silver.build(partitioning)
        + gold.build(partitioning)
        + carbon_assets.build(partitioning)
        + marts_assets.build(partitioning)
        + forecasting
        + anomalies
        + segment_assets.build(partitioning)
        + lake_automation_defs
        + forecast_automation.build(partitioning, daily_lake_job)
        + streaming.build()
        + DomainDefs(
            jobs=[retention.bronze_retention_job],
            schedules=[retention.bronze_retention_schedule],
            sensors=[
                automation_conditions.lake_automation_sensor,
                alerts.run_failure_alerts,
                alerts.check_failure_alerts,
            ],
        )
    )


def default_resources() -> dict[str, object]:
    """The resources of a local run: the lake and MLflow from the settings, dbt from the project."""
    return {
        "lake": LakeResource(),
        "dbt": marts_assets.dbt_resource(),
        "mlflow_tracking": MlflowResource(),
    }


def build_defs(
    settings: DefinitionSettings | None = None,
    resource_overrides: Mapping[str, object] | None = None,
) -> dg.Definitions:
    """The definitions built from `settings` (default: read from the environment, here, once),
    with `resource_overrides` replacing default resources by name (a test passes a lake on a
    temporary root instead of changing the environment)."""
    domains = build_domains(settings or DefinitionSettings.from_env())
    return dg.Definitions(
        assets=domains.assets,
        asset_checks=domains.asset_checks,
        jobs=domains.jobs,
        schedules=domains.schedules,
        sensors=domains.sensors,
        resources={**default_resources(), **(resource_overrides or {})},
    )
