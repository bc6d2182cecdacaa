"""The daily schedule: ingest and build yesterday, at the day-ahead issue hour.

The cron ticks every hour and the tick at `ENERGY_FORECAST_ISSUE_HOUR_UTC` (default 12) requests
the run, so the hour is read when the schedule is evaluated, never at import. The run key is the
day: a day is requested once, whatever the restarts.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from checks.contracts import (
    BRONZE_ANOMALY_LABELS,
    BRONZE_METER_READINGS,
    BRONZE_WEATHER,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    SILVER_WEATHER,
)
from energy_assets.assets.bronze import key
from energy_assets.partitions import DAILY
from energy_assets.settings import Settings

DAILY_TABLES = (
    BRONZE_METER_READINGS,
    BRONZE_ANOMALY_LABELS,
    BRONZE_WEATHER,
    SILVER_METER_READINGS,
    SILVER_WEATHER,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
)
"""What the daily run builds. Tomorrow's forecast (gold/forecasts, issued at the same hour) joins
this list when the forecasting assets land."""

daily_lake_job = dg.define_asset_job(
    "daily_lake",
    selection=dg.AssetSelection.assets(*(key(t) for t in DAILY_TABLES)),
    partitions_def=DAILY,
    description="One UTC day of bronze, silver and gold.",
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
