from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from checks.forecasts import due_target_day, forecast_issued


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (datetime(2024, 5, 2, 12, 59, tzinfo=UTC), date(2024, 5, 2)),  # within the grace
        (datetime(2024, 5, 2, 13, 0, tzinfo=UTC), date(2024, 5, 3)),  # issue hour + grace
        (datetime(2024, 5, 2, 23, 30, tzinfo=UTC), date(2024, 5, 3)),
        (datetime(2024, 5, 3, 0, 30, tzinfo=UTC), date(2024, 5, 3)),  # after midnight: today's
    ],
)
def test_tomorrow_is_due_once_the_issue_hour_and_grace_have_passed(
    now: datetime, due: date
) -> None:
    assert due_target_day(now, issue_hour_utc=12) == due


def test_an_issue_hour_late_in_the_day_makes_the_deadline_fall_after_midnight() -> None:
    assert due_target_day(datetime(2024, 5, 2, 23, 30, tzinfo=UTC), 23) == date(2024, 5, 2)
    assert due_target_day(datetime(2024, 5, 3, 0, 0, tzinfo=UTC), 23) == date(2024, 5, 3)


def test_a_missing_forecast_fails_naming_the_day_and_its_deadline() -> None:
    now = datetime(2024, 5, 2, 14, tzinfo=UTC)

    missing = forecast_issued(date(2024, 5, 3), 0, now, issue_hour_utc=12)
    issued = forecast_issued(date(2024, 5, 3), 96, now, issue_hour_utc=12)

    assert not missing.passed
    assert "no forecast for 2024-05-03, due by 2024-05-02 13:00 UTC" in missing.description
    assert missing.metadata["deadline_utc"] == "2024-05-02T13:00:00+00:00"
    assert issued.passed and issued.metadata["rows"] == 96
