"""The freshness expectation of the day-ahead forecasts, for the forecasts asset to declare.

Kept apart from the sensors and schedules (which import the assets) so the asset can import it.
"""

from __future__ import annotations

import dagster as dg

from checks.forecasts import ISSUE_GRACE


def due_hour_utc(issue_hour_utc: int) -> int:
    """The UTC hour by which tomorrow's forecast must exist: the issue hour plus the grace."""
    return (issue_hour_utc + int(ISSUE_GRACE.total_seconds()) // 3600) % 24


def forecast_freshness_policy(issue_hour_utc: int) -> dg.FreshnessPolicy:
    """A forecast materialized every day between the issue hour and the issue hour + grace.

    The hour comes with the definition settings (a policy is a declaration, like the partitions'
    start date); the `forecast_issued` check reads it at run time.
    """
    due = due_hour_utc(issue_hour_utc)
    return dg.FreshnessPolicy.cron(
        deadline_cron=f"0 {due} * * *", lower_bound_delta=ISSUE_GRACE, timezone="UTC"
    )
