"""The schedules: build yesterday at the day-ahead issue hour; retrain the model every week.

The daily cron ticks every hour and the tick at `ENERGY_FORECAST_ISSUE_HOUR_UTC` (default 12)
requests the run, so the hour is read when the schedule is evaluated, never at import. The run key
is the day: a day is requested once, whatever the restarts. When that run succeeds,
`issue_forecast_sensor` (in `forecasts.py`) issues tomorrow's forecast from the gold it built.

The training schedule is built from the training asset's partitions, so it follows their cadence.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from checks.contracts import BRONZE_METERS, SILVER_METERS
from energy_assets.defs.conditions import LAKE_GROUPS
from energy_assets.defs.forecasting.assets import MODEL_KEY, day_ahead_model
from energy_assets.defs.lake.bronze import key
from energy_assets.defs.partitions import DAILY
from energy_assets.settings import Settings

daily_lake_job = dg.define_asset_job(
    "daily_lake",
    selection=dg.AssetSelection.groups(*LAKE_GROUPS)
    - dg.AssetSelection.assets(key(BRONZE_METERS), key(SILVER_METERS)),
    partitions_def=DAILY,
    description="One UTC day of every daily bronze, silver and gold table (the dimensions are "
    "built by the landing sensor or on demand); tomorrow's forecast follows it.",
)


@dg.schedule(
    name="daily_lake_schedule",
    cron_schedule="0 * * * *",
    execution_timezone="UTC",
    job=daily_lake_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=__doc__.split("\n\n")[0] if __doc__ else None,
)
def daily_lake_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    hour = Settings.from_env().forecast_issue_hour_utc
    at = context.scheduled_execution_time
    if at.hour != hour:
        return dg.SkipReason(
            f"yesterday is built at {hour:02d}:00 UTC (ENERGY_FORECAST_ISSUE_HOUR_UTC)"
        )
    yesterday = (at - timedelta(days=1)).date().isoformat()
    return dg.RunRequest(
        run_key=yesterday, partition_key=yesterday, tags={"energy/trigger": "daily_lake_schedule"}
    )


model_training_job = dg.define_asset_job(
    "model_training",
    selection=dg.AssetSelection.assets(MODEL_KEY),
    partitions_def=day_ahead_model.partitions_def,
    description="Train the day-ahead model of one training partition.",
)


def _training_schedule() -> dg.ScheduleDefinition:
    """At each tick of the training partitions' cadence, train their latest partition."""
    schedule = dg.build_schedule_from_partitioned_job(
        model_training_job,
        name="model_training_schedule",
        description="Retrain the day-ahead model at each new training partition (weekly).",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        tags={"energy/trigger": "model_training_schedule"},
    )
    assert isinstance(schedule, dg.ScheduleDefinition)
    return schedule


model_training_schedule = _training_schedule()
