"""The gold features a training reads: one order whatever order the lake returns rows in. What
a range of forecasts reads once per chunk, and the target features of a chunk of days: each
day's as that day alone knew them at its issue time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from checks.contracts import (
    BRONZE_METER_READINGS,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
)
from energy_assets.storage.lake import Lake
from energy_assets.transforms.cleaning import clean_readings
from energy_assets.transforms.day_ahead import (
    PROFILE_DAYS,
    DayAheadReads,
    Predictors,
    forecast_day,
    forecast_days,
    gold_features,
    target_features,
)
from ml.features import HISTORY_DAYS, build_consumption_features, issue_time_utc
from tests.unit.checks.test_schemas import T0, table_of, valid_row

DAY = date(2024, 1, 1)


def _rows(order: list[tuple[str, int]]) -> list[dict[str, object]]:
    return [
        valid_row(
            GOLD_CONSUMPTION_FEATURES,
            meter_id=meter,
            interval_start_utc=T0 + timedelta(minutes=15 * slot),
            energy_kwh=float(slot),
        )
        for meter, slot in order
    ]


def test_gold_features_come_in_one_order_whatever_order_the_lake_holds(tmp_path: Path) -> None:
    keys = [(meter, slot) for meter in ("MTR-0002", "MTR-0001") for slot in (3, 0, 2, 1)]
    read = []
    for name, order in (("forward", keys), ("backward", keys[::-1])):
        lake = Lake(str(tmp_path / name))
        table = table_of(GOLD_CONSUMPTION_FEATURES, *_rows(order))
        lake.replace_window(GOLD_CONSUMPTION_FEATURES, table, DAY, DAY + timedelta(days=1))
        read.append(gold_features(lake, DAY, DAY + timedelta(days=1)))
    forward, backward = read
    assert forward.equals(backward)
    assert forward["meter_id"].cast(str).to_list() == ["MTR-0001"] * 4 + ["MTR-0002"] * 4


FIRST, TARGETS = date(2024, 1, 1), [date(2024, 1, 16) + timedelta(days=n) for n in range(5)]
BAD_DAY = date(2024, 1, 10)
ISSUE_HOUR = 12


def _lake_of_three_weeks(root: Path) -> Lake:
    """Two meters, three weeks: gold features, silver readings (one before and one after noon a
    day), the scorecard (a bad day) and the weather, so each window's edges are tested."""
    lake = Lake(str(root))
    days = [FIRST + timedelta(days=n) for n in range(21)]
    times = [
        (day, datetime.combine(day, time(hour), tzinfo=UTC)) for day in days for hour in (3, 15)
    ]
    meters = ("MTR-0002", "MTR-0001")
    tables = {
        GOLD_CONSUMPTION_FEATURES: [
            valid_row(
                GOLD_CONSUMPTION_FEATURES,
                meter_id=meter,
                interval_start_utc=at,
                day=day,
                energy_kwh=float(day.day),
                lag_1d_kwh=float(day.day - 1),
            )
            for day, at in times
            for meter in meters
        ],
        SILVER_METER_READINGS: [
            valid_row(
                SILVER_METER_READINGS,
                meter_id=meter,
                interval_start_utc=at,
                day=day,
                energy_kwh=day.day + at.hour / 100,
            )
            for day, at in times
            for meter in meters
        ],
        GOLD_QUALITY_SCORECARD: [
            valid_row(
                GOLD_QUALITY_SCORECARD,
                meter_id=meter,
                day=day,
                status="bad" if (meter, day) == (meters[0], BAD_DAY) else "good",
            )
            for day in days
            for meter in meters
        ],
        SILVER_WEATHER: [valid_row(SILVER_WEATHER, valid_at_utc=at, day=day) for day, at in times],
    }
    for contract, rows in tables.items():
        lake.replace_window(contract, table_of(contract, *rows), FIRST, days[-1] + timedelta(1))
    return lake


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns)


def test_a_chunk_of_target_days_reads_the_windows_of_all_its_days_and_nothing_later(
    tmp_path: Path,
) -> None:
    lake = _lake_of_three_weeks(tmp_path)
    reads = DayAheadReads(lake)
    for low, high in ((TARGETS[0], TARGETS[3]), (TARGETS[3], TARGETS[-1] + timedelta(1))):
        reads.hold(low, high)
        inputs = reads.inputs(low, high)

        first, last_issue = low - timedelta(PROFILE_DAYS), high - timedelta(days=2)
        assert inputs.history.equals(gold_features(lake, first, last_issue))
        readings = pl.DataFrame(
            lake.read(SILVER_METER_READINGS, low - timedelta(HISTORY_DAYS), high - timedelta(1))
        )
        assert _sorted(inputs.readings).equals(_sorted(readings))
        assert inputs.weather.sort_by("valid_at_utc").equals(
            lake.read(SILVER_WEATHER, low, high).sort_by("valid_at_utc")
        )
        # Nothing of the last issue day or later reaches the history, nothing of the last target
        # day the readings (each day's issue time then cuts the readings later).
        assert inputs.history["day"].max() == high - timedelta(days=3)
        assert inputs.readings["day"].max() == high - timedelta(days=2)
    blanked = reads.inputs(TARGETS[3], TARGETS[-1] + timedelta(1)).history.filter(
        pl.col("day") == BAD_DAY, pl.col("meter_id") == "MTR-0002"
    )
    assert blanked["energy_kwh"].null_count() == blanked.height == 2


def _meters() -> pa.Table:
    return table_of(
        SILVER_METERS, *[valid_row(SILVER_METERS, meter_id=m) for m in ("MTR-0001", "MTR-0002")]
    )


def _one_day_alone(lake: Lake, day: date) -> pl.DataFrame:
    """Gold features of `day` from the readings ended by its issue time (`ml.features`' lags)."""
    issued = issue_time_utc(day, ISSUE_HOUR)
    readings = lake.read(SILVER_METER_READINGS, day - timedelta(HISTORY_DAYS), day)
    known = pl.DataFrame(readings).filter(
        pl.col("interval_start_utc") + pl.duration(minutes=pl.col("interval_minutes")) <= issued
    )
    grid = clean_readings(
        BRONZE_METER_READINGS.schema.empty_table(), _meters(), day, day + timedelta(1)
    )
    features = build_consumption_features(
        grid.table,
        known.to_arrow(),
        lake.read(SILVER_WEATHER, day, day + timedelta(1)),
        _meters(),
        ISSUE_HOUR,
    )
    return pl.DataFrame(features)


def test_the_lags_of_a_chunk_of_target_days_are_each_days_own_as_known_at_its_issue_time(
    tmp_path: Path,
) -> None:
    lake = _lake_of_three_weeks(tmp_path)
    low, high = TARGETS[0], TARGETS[-1] + timedelta(1)
    reads = DayAheadReads(lake)
    reads.hold(low, high)

    chunk = target_features(_meters(), low, high, ISSUE_HOUR, reads.inputs(low, high))

    for day in TARGETS:
        own = chunk.filter(pl.col("day") == day)
        assert _sorted(own).equals(_sorted(_one_day_alone(lake, day)))
    # The chunk holds the readings of the day before the second target day, but that day's
    # forecast was issued at noon of it: its morning reading is a lag, its afternoon one is not.
    second = chunk.filter(
        pl.col("day") == TARGETS[1],
        pl.col("meter_id") == "MTR-0001",
        pl.col("interval_start_utc").dt.minute() == 0,
    )
    lags = dict(zip(second["interval_start_utc"].dt.hour(), second["lag_1d_kwh"], strict=True))
    assert lags[3] == TARGETS[0].day + 0.03
    assert lags[15] is None
    assert second["lag_2d_kwh"].drop_nulls().len() == 2


def test_days_other_than_those_held_are_refused_rather_than_read_short(tmp_path: Path) -> None:
    reads = DayAheadReads(_lake_of_three_weeks(tmp_path))
    reads.hold(TARGETS[0], TARGETS[2])

    with pytest.raises(ValueError, match="not the days held"):
        reads.inputs(TARGETS[0], TARGETS[3])


def test_fallback_forecasts_of_a_chunk_of_days_equal_those_of_each_day_alone(
    tmp_path: Path,
) -> None:
    lake = _lake_of_three_weeks(tmp_path)
    no_model: Predictors = {"2024-01-15": (None, None, None)}  # the week of every issue day
    low, high = TARGETS[0], TARGETS[-1] + timedelta(1)

    chunk = pl.DataFrame(
        forecast_days(lake, _meters(), low, high, ISSUE_HOUR, "m", "weekly", no_model)
    )

    assert chunk["model_used"].str.starts_with("fallback:").all()
    for day in TARGETS:
        alone = forecast_day(lake, _meters(), day, ISSUE_HOUR, "m", "weekly", no_model)
        assert _sorted(chunk.filter(pl.col("day") == day)).equals(_sorted(pl.DataFrame(alone)))
    # Each day's profile band comes from its own window of history (readings grow by the day).
    bands = chunk.group_by("day").agg(pl.col("p90_kwh").max()).sort("day")["p90_kwh"]
    assert bands.n_unique() == len(TARGETS)
