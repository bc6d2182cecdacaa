"""The day-by-day work of each layer, as plain generators (no Dagster).

Assets consume them (adding checks and metadata) and so does `make bench`, so what is measured is
what runs. Each generator yields one UTC day at a time, so a range run holds one day in memory
(plus the lag history) and streams into a single Delta commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pyarrow as pa

from checks.contracts import (
    BRONZE_METER_READINGS,
    BRONZE_QUARANTINE,
    BRONZE_WEATHER,
    SILVER_METER_READINGS,
    SILVER_WEATHER,
    TableContract,
)
from checks.scorecard import quality_scorecard
from energy_assets.cleaning import Cleaned, clean_readings, clean_weather
from energy_assets.lake import Lake, days_in
from ml.features import HISTORY_DAYS, build_consumption_features

ONE_DAY = timedelta(days=1)


def _day(store: Lake, table: TableContract, day: date) -> pa.Table:
    return store.read(table, day, day + ONE_DAY)


def silver_reading_days(
    store: Lake, meters: pa.Table, start: date, end: date
) -> Iterator[tuple[date, Cleaned]]:
    """Silver readings of each day of [start, end) from bronze."""
    for day in days_in(start, end):
        yield day, clean_readings(_day(store, BRONZE_METER_READINGS, day), meters, day)


def silver_weather_days(store: Lake, start: date, end: date) -> Iterator[tuple[date, Cleaned]]:
    """Silver weather of each day of [start, end) from bronze."""
    for day in days_in(start, end):
        yield day, clean_weather(_day(store, BRONZE_WEATHER, day))


class SilverHistory:
    """Silver readings of the last `HISTORY_DAYS` days, each read once while a run walks forward."""

    def __init__(self, store: Lake, start: date) -> None:
        self.store = store
        self.days: dict[date, pa.Table] = {
            day: _day(store, SILVER_METER_READINGS, day)
            for day in days_in(start - timedelta(days=HISTORY_DAYS), start)
        }

    def advance(self, day: date) -> tuple[pa.Table, pa.Table]:
        """The day's readings and its history; then the window slides by one day."""
        today = _day(self.store, SILVER_METER_READINGS, day)
        history = pa.concat_tables(list(self.days.values()))
        self.days[day] = today
        self.days.pop(day - timedelta(days=HISTORY_DAYS), None)
        return today, history


def feature_days(
    store: Lake, meters: pa.Table, start: date, end: date, issue_hour_utc: int
) -> Iterator[tuple[date, pa.Table]]:
    """Gold consumption features of each day of [start, end) from silver."""
    history = SilverHistory(store, start)
    for day in days_in(start, end):
        readings, past = history.advance(day)
        weather = _day(store, SILVER_WEATHER, day)
        yield day, build_consumption_features(readings, past, weather, meters, day, issue_hour_utc)


def scorecard_days(store: Lake, start: date, end: date) -> Iterator[tuple[date, pa.Table]]:
    """Gold quality scorecard of each day of [start, end) from silver and the quarantine."""
    for day in days_in(start, end):
        readings = _day(store, SILVER_METER_READINGS, day)
        yield day, quality_scorecard(readings, _day(store, BRONZE_QUARANTINE, day), day)
