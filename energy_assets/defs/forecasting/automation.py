"""Tomorrow's forecast, issued and watched: the day-ahead forecast follows the daily lake run, a
freshness policy states when it is due, and a check fails when it is missing after that.

- `issue_forecast_sensor`: when the scheduled daily lake run of yesterday succeeds (at the issue
  hour), request tomorrow's `gold/forecasts` (and region forecasts), which read yesterday's gold.
- `freshness.forecast_freshness_policy()` on the asset: the expectation the UI shows and the
  freshness daemon judges.
- `forecast_issued` check and `forecast_freshness_schedule`: every day at the issue hour + grace
  the check looks for the due target day's rows in the lake and fails, naming the day and the
  deadline, when there are none (the check-failure alert sensor then raises it).
- `model_training_schedule`: built from the training asset's partitions, so it follows their
  cadence; at each new training partition it trains it.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from checks.contracts import GOLD_FORECASTS, GOLD_REGION_FORECASTS
from checks.forecasts import due_target_day, forecast_issued
from energy_assets.defs.check_suites import check_result
from energy_assets.defs.domain import DomainDefs
from energy_assets.defs.forecasting.freshness import due_hour_utc
from energy_assets.defs.forecasting.training import MODEL_KEY
from energy_assets.defs.lake.automation import DAILY_SCHEDULE
from energy_assets.defs.partitions import Partitioning
from energy_assets.defs.resources import LakeResource
from energy_assets.defs.tables import key
from energy_assets.settings import Settings

TRIGGER = "energy/trigger"


day_ahead_forecast_job = dg.define_asset_job(
    "day_ahead_forecast",
    selection=dg.AssetSelection.assets(key(GOLD_FORECASTS), key(GOLD_REGION_FORECASTS)),
    description="The day-ahead forecasts of one target day.",
)


def issue_forecast_sensor(context: dg.RunStatusSensorContext) -> dg.RunRequest | dg.SkipReason:
    run = context.dagster_run
    yesterday = run.tags.get("dagster/partition")
    if run.tags.get(TRIGGER) != DAILY_SCHEDULE or yesterday is None:
        return dg.SkipReason(f"run {run.run_id} is not a scheduled daily lake run")
    tomorrow = (datetime.fromisoformat(yesterday) + timedelta(days=2)).date().isoformat()
    return dg.RunRequest(
        run_key=f"forecast-{tomorrow}",
        partition_key=tomorrow,
        tags={TRIGGER: "issue_forecast_sensor"},
    )


class ForecastIssuedConfig(dg.Config):
    """`as_of_utc` (ISO instant): judge as of then (the schedule passes its tick); default now."""

    as_of_utc: str | None = None


@dg.asset_check(
    asset=key(GOLD_FORECASTS),
    name="forecast_issued",
    description="The forecast of the due target day (tomorrow once the issue hour + grace has "
    "passed) has rows in gold.",
)
def forecast_issued_check(config: ForecastIssuedConfig, lake: LakeResource) -> dg.AssetCheckResult:
    now = datetime.fromisoformat(config.as_of_utc) if config.as_of_utc else datetime.now(UTC)
    hour = Settings.from_env().forecast_issue_hour_utc
    day = due_target_day(now, hour)
    rows = lake.lake().read(GOLD_FORECASTS, day, day + timedelta(days=1), ["meter_id"]).num_rows
    return check_result(
        key(GOLD_FORECASTS), [forecast_issued(day, rows, now, hour)], "forecast_issued"
    )


forecast_freshness_job = dg.define_asset_job(
    "forecast_freshness",
    selection=dg.AssetSelection.checks(forecast_issued_check),
    description="Whether tomorrow's forecast was issued on time.",
)


@dg.schedule(
    name="forecast_freshness_schedule",
    cron_schedule="0 * * * *",
    execution_timezone="UTC",
    job=forecast_freshness_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Checks, at the issue hour + grace, that tomorrow's forecast exists.",
)
def forecast_freshness_schedule(
    context: dg.ScheduleEvaluationContext,
) -> dg.RunRequest | dg.SkipReason:
    hour = Settings.from_env().forecast_issue_hour_utc
    at = context.scheduled_execution_time.astimezone(UTC)
    due = due_hour_utc(hour)
    if at.hour != due:
        return dg.SkipReason(f"tomorrow's forecast is checked at {due:02d}:00 UTC")
    day = due_target_day(at, hour)
    return dg.RunRequest(
        run_key=f"forecast-issued-{day}",
        run_config=dg.RunConfig(
            ops={forecast_issued_check.op.name: ForecastIssuedConfig(as_of_utc=at.isoformat())}
        ),
        tags={TRIGGER: "forecast_freshness_schedule"},
    )


def build(
    partitioning: Partitioning, daily_lake_job: "dg.UnresolvedAssetJobDefinition"
) -> DomainDefs:
    """The forecast issued after `daily_lake_job`, its freshness check, and the training job
    with a schedule at each new training period of the cadence."""
    issue = dg.run_status_sensor(
        name="issue_forecast_sensor",
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[daily_lake_job],
        request_job=day_ahead_forecast_job,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="After the scheduled daily lake run of yesterday, issue tomorrow's forecast.",
    )(issue_forecast_sensor)
    training_job = dg.define_asset_job(
        "model_training",
        selection=dg.AssetSelection.assets(MODEL_KEY),
        partitions_def=partitioning.training_periods,
        description="Train the day-ahead model of one training partition.",
    )
    training_schedule = dg.build_schedule_from_partitioned_job(
        training_job,
        name="model_training_schedule",
        description="Retrain the day-ahead model at each new training partition "
        f"({partitioning.cadence}).",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        tags={"energy/trigger": "model_training_schedule"},
    )
    assert isinstance(training_schedule, dg.ScheduleDefinition)
    return DomainDefs(
        asset_checks=[forecast_issued_check],
        jobs=[training_job, day_ahead_forecast_job, forecast_freshness_job],
        schedules=[training_schedule, forecast_freshness_schedule],
        sensors=[issue],
    )
