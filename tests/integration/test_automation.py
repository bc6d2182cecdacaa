from __future__ import annotations

from datetime import UTC, date, datetime

import dagster as dg

from energy_assets.definitions import defs
from tests.integration.pipeline import DIMENSIONS

DAILY_LAKE_SCHEDULE = defs.resolve_schedule_def("daily_lake_schedule")

LAKE_ASSETS = [
    a for a in defs.assets if set(a.group_names_by_key.values()) <= {"bronze", "silver", "gold"}
]
PAST_DAY = "2024-03-12"  # far from the latest partition: eager() would ignore it
BRONZE_DAILY = dg.AssetSelection.groups("bronze") - dg.AssetSelection.assets(*DIMENSIONS)
FOLLOWERS = [
    dg.AssetKey(["silver", "meter_readings"]),
    dg.AssetKey(["silver", "weather"]),
    dg.AssetKey(["gold", "consumption_features"]),
    dg.AssetKey(["gold", "quality_scorecard"]),
]


def test_materializing_bronze_for_a_past_day_makes_silver_and_gold_of_that_day_follow(
    lake, instance
) -> None:
    dimensions = dg.materialize(
        LAKE_ASSETS, instance=instance, resources=defs.resources, selection=DIMENSIONS
    )
    assert dimensions.success
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert first.total_requested == 0  # dimensions built together: nothing to follow

    bronze = dg.materialize(
        LAKE_ASSETS,
        instance=instance,
        resources=defs.resources,
        selection=BRONZE_DAILY,
        partition_key=PAST_DAY,
    )
    assert bronze.success
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)

    requested = {
        k: result.get_requested_partitions(k)
        for k in [*FOLLOWERS, dg.AssetKey(["silver", "meters"])]
    }
    assert requested == {
        **{k: {PAST_DAY} for k in FOLLOWERS},
        dg.AssetKey(["silver", "meters"]): set(),
    }
    again = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=result.cursor)
    assert again.total_requested == 0  # requested once, not on every tick


def test_the_daily_schedule_builds_yesterday_once_at_the_issue_hour(
    lake, instance, monkeypatch
) -> None:
    monkeypatch.setenv("ENERGY_FORECAST_ISSUE_HOUR_UTC", "6")

    def evaluate(hour: int) -> dg.RunRequest | dg.SkipReason:
        at = datetime(2024, 5, 2, hour, tzinfo=UTC)
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=at)
        return DAILY_LAKE_SCHEDULE(context)

    assert isinstance(evaluate(5), dg.SkipReason)
    request = evaluate(6)
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == date(2024, 5, 1).isoformat()
    assert request.run_key == "2024-05-01"
    assert DAILY_LAKE_SCHEDULE.default_status == dg.DefaultScheduleStatus.RUNNING
