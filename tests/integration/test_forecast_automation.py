"""Tomorrow's forecast: issued after the scheduled daily lake run, checked at the issue hour +
grace; the weekly training schedule follows the training partitions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import dagster as dg
import pyarrow as pa
import pytest

from checks.contracts import GOLD_FORECASTS
from energy_assets.definitions import defs
from energy_assets.defs.forecasting.automation import forecast_freshness_schedule
from energy_assets.storage.lake import Lake
from tests.integration.pipeline import materialize_dimensions

TOMORROW = date(2024, 5, 3)
DAILY_LAKE_SCHEDULE = defs.resolve_schedule_def("daily_lake_schedule")
MODEL_TRAINING_SCHEDULE = defs.resolve_schedule_def("model_training_schedule")


@pytest.fixture
def issue_at_six(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> Lake:
    monkeypatch.setenv("ENERGY_FORECAST_ISSUE_HOUR_UTC", "6")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return lake


def tick(instance: dg.DagsterInstance, schedule: dg.ScheduleDefinition, hour: int):
    at = datetime(2024, 5, 2, hour, tzinfo=UTC)
    return schedule(dg.build_schedule_context(instance=instance, scheduled_execution_time=at))


def check_tomorrow(instance: dg.DagsterInstance) -> dg.AssetCheckEvaluation:
    """Run the freshness check as its schedule does at 07:00 (issue hour 06:00 + 1 h grace)."""
    assert isinstance(tick(instance, forecast_freshness_schedule, 6), dg.SkipReason)
    request = tick(instance, forecast_freshness_schedule, 7)
    assert isinstance(request, dg.RunRequest)
    assert request.run_key == f"forecast-issued-{TOMORROW}"
    result = defs.resolve_job_def("forecast_freshness").execute_in_process(
        instance=instance, run_config=request.run_config, tags=request.tags
    )
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def forecast_row(day: date) -> pa.Table:
    at = datetime(day.year, day.month, day.day, tzinfo=UTC)
    row = {
        "meter_id": "M1",
        "interval_start_utc": at,
        "interval_minutes": 60,
        "region": "FR-IDF",
        "forecast_kwh": 1.0,
        "p10_kwh": 0.5,
        "p90_kwh": 1.5,
        "issued_at_utc": at,
        "model_name": "day_ahead",
        "model_version": "1",
        "model_used": "model",
        "fallback_reason": None,
        "weather_source": "forecast",
        "day": day,
    }
    return pa.Table.from_pylist([row], schema=GOLD_FORECASTS.schema)


def test_a_forecast_missing_after_the_issue_hour_and_grace_fails_its_check_until_issued(
    issue_at_six, instance
) -> None:
    lake = issue_at_six
    lake.replace_window(GOLD_FORECASTS, forecast_row(date(2024, 5, 2)), date(2024, 5, 2), TOMORROW)

    missing = check_tomorrow(instance)

    assert not missing.passed
    assert missing.check_name == "forecast_issued"
    assert f"no forecast for {TOMORROW}, due by 2024-05-02 07:00 UTC" in (missing.description or "")

    lake.replace_window(GOLD_FORECASTS, forecast_row(TOMORROW), TOMORROW, date(2024, 5, 4))
    assert check_tomorrow(instance).passed


def test_the_scheduled_daily_run_issues_tomorrows_forecast_which_passes_its_check(
    issue_at_six, instance
) -> None:
    assert materialize_dimensions(instance).success
    request = tick(instance, DAILY_LAKE_SCHEDULE, 6)
    assert isinstance(request, dg.RunRequest)
    daily = defs.resolve_job_def("daily_lake").execute_in_process(
        instance=instance, partition_key=request.partition_key, tags=request.tags
    )
    assert daily.success

    def sensed(run: dg.DagsterRun) -> dg.RunRequest | dg.SkipReason:
        context = dg.build_run_status_sensor_context(
            sensor_name="issue_forecast_sensor",
            dagster_event=daily.get_run_success_event(),
            dagster_instance=instance,
            dagster_run=run,
        )
        return defs.resolve_sensor_def("issue_forecast_sensor")(context)

    manual = daily.dagster_run.with_tags({"dagster/partition": "2024-05-01"})
    assert isinstance(sensed(manual), dg.SkipReason)  # only the scheduled run issues forecasts
    issue = sensed(daily.dagster_run)
    assert isinstance(issue, dg.RunRequest)
    assert (issue.partition_key, issue.run_key) == (TOMORROW.isoformat(), f"forecast-{TOMORROW}")

    forecast = defs.resolve_job_def("day_ahead_forecast").execute_in_process(
        instance=instance, partition_key=issue.partition_key, tags=issue.tags
    )

    assert forecast.success
    assert check_tomorrow(instance).passed


def test_weekly_training_follows_the_training_partitions_and_is_on_by_default(instance) -> None:
    model = defs.resolve_assets_def(dg.AssetKey(["ml", "day_ahead_model"]))
    partitions = model.partitions_def
    assert isinstance(partitions, dg.TimeWindowPartitionsDefinition)
    monday = datetime(2024, 5, 6, tzinfo=UTC)
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=monday)

    (request,) = MODEL_TRAINING_SCHEDULE.evaluate_tick(context).run_requests or []

    assert request.partition_key == partitions.get_partition_keys(current_time=monday)[-1]
    assert MODEL_TRAINING_SCHEDULE.cron_schedule == partitions.get_cron_schedule()
    assert MODEL_TRAINING_SCHEDULE.default_status == dg.DefaultScheduleStatus.RUNNING
    assert defs.resolve_job_def("model_training").partitions_def == partitions
