from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from ml.features import holiday_flags, local_calendar


def rows(country: str | None, hours: int = 24) -> pl.DataFrame:
    start = datetime(2024, 12, 25, tzinfo=UTC)
    return pl.DataFrame(
        {
            "timezone": ["UTC"] * hours,
            "country": [country] * hours,
            "subdivision": [None] * hours,
            "interval_start_utc": [start + timedelta(hours=h) for h in range(hours)],
            "local_date": [date(2024, 12, 25)] * hours,
        },
        schema_overrides={"subdivision": pl.String, "country": pl.String},
    )


def test_holiday_flags_has_one_false_per_row_when_no_meter_has_a_known_calendar() -> None:
    for country in (None, "XX", "ZZ"):
        flags = holiday_flags(rows(country))
        assert flags.len() == 24 and not flags.any()


def test_the_local_calendar_of_meters_without_a_holiday_calendar_says_no_holiday() -> None:
    calendar = local_calendar(rows(None).drop("local_date"))
    assert calendar.height == 24 and not calendar["is_holiday"].any()
    assert calendar["local_hour"].to_list() == list(range(24))


def test_a_known_calendar_still_flags_its_holidays() -> None:
    assert holiday_flags(rows("GB")).all()
