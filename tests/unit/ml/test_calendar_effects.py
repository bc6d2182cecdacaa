"""Bridge days and the end-of-year period in the local calendar of gold features."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from ml.calendar_effects import holiday_like
from ml.features import local_calendar


def noon_rows(days: list[date], country: str = "DE") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "timezone": "Europe/Berlin",
            "country": country,
            "subdivision": None,
            "interval_start_utc": [datetime(d.year, d.month, d.day, 11, tzinfo=UTC) for d in days],
        },
        schema_overrides={"subdivision": pl.String},
    )


def flags(days: list[date], column: str, country: str = "DE") -> dict[date, bool]:
    calendar = local_calendar(noon_rows(days, country))
    return dict(zip(calendar["local_date"], calendar[column], strict=True))


def test_the_working_day_between_a_holiday_and_a_weekend_is_a_bridge_day() -> None:
    # Ascension 2024 was Thursday 9 May; German Unity Day 2023 a Tuesday (3 October).
    days = [date(2024, 5, 9), date(2024, 5, 10), date(2024, 5, 13), date(2023, 10, 2)]
    assert flags(days, "is_bridge_day") == {
        date(2024, 5, 9): False,  # the holiday itself
        date(2024, 5, 10): True,  # Friday after it
        date(2024, 5, 13): False,  # an ordinary Monday
        date(2023, 10, 2): True,  # Monday before a Tuesday holiday
    }


def test_a_country_without_a_holiday_calendar_has_no_bridge_days() -> None:
    assert flags([date(2024, 5, 10)], "is_bridge_day", country="XX") == {date(2024, 5, 10): False}


def test_the_end_of_year_period_runs_from_christmas_eve_to_epiphany() -> None:
    days = [date(2024, 12, 23), date(2024, 12, 24), date(2025, 1, 6), date(2025, 1, 7)]
    assert flags(days, "is_end_of_year") == {
        date(2024, 12, 23): False,
        date(2024, 12, 24): True,
        date(2025, 1, 6): True,
        date(2025, 1, 7): False,
    }


def test_public_holidays_and_end_of_year_days_are_holiday_like_other_working_days_not() -> None:
    # 27 December 2024 a Friday in the period, 20 December one before it, 3 October 2024 a holiday.
    days = [date(2024, 12, 20), date(2024, 12, 27), date(2024, 10, 3)]
    calendar = local_calendar(noon_rows(days)).with_columns(like=holiday_like())
    assert dict(zip(calendar["local_date"], calendar["like"], strict=True)) == {
        date(2024, 12, 20): False,
        date(2024, 12, 27): True,
        date(2024, 10, 3): True,
    }


def test_holiday_like_reads_the_flags_as_the_registered_model_takes_them_as_floats() -> None:
    flags = pl.DataFrame({"is_holiday": [0.0, 1.0, 0.0], "is_end_of_year": [0.0, 0.0, 1.0]})
    assert flags.select(holiday_like()).to_series().to_list() == [False, True, True]
