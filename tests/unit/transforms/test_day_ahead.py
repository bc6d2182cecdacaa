"""The gold features a training reads: one order whatever order the lake returns rows in. What
a range of forecasts reads once per chunk: each day's windows, as that day alone reads them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl
import pytest

from checks.contracts import (
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    SILVER_WEATHER,
)
from energy_assets.storage.lake import Lake, days_in
from energy_assets.transforms.day_ahead import PROFILE_DAYS, DayAheadReads, gold_features
from ml.features import HISTORY_DAYS
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
            valid_row(SILVER_METER_READINGS, meter_id=meter, interval_start_utc=at, day=day)
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


def test_a_range_read_in_chunks_gives_each_day_the_windows_its_own_forecast_reads(
    tmp_path: Path,
) -> None:
    lake = _lake_of_three_weeks(tmp_path)
    reads = DayAheadReads(lake)
    held = []
    for low, high in ((TARGETS[0], TARGETS[3]), (TARGETS[3], TARGETS[-1] + timedelta(1))):
        reads.hold(low, high)
        held += [reads.inputs(day) for day in days_in(low, high)]

    for day, inputs in zip(TARGETS, held, strict=True):
        history = gold_features(lake, day - timedelta(PROFILE_DAYS), day)
        assert inputs.history.equals(history.filter(pl.col("day") < day - timedelta(days=1)))
        readings = pl.DataFrame(
            lake.read(SILVER_METER_READINGS, day - timedelta(HISTORY_DAYS), day)
        )
        assert _sorted(inputs.readings).equals(_sorted(readings))
        assert inputs.weather.sort_by("valid_at_utc").equals(
            lake.read(SILVER_WEATHER, day, day + timedelta(1)).sort_by("valid_at_utc")
        )
        # Nothing of the issue day or later reaches the history, nothing of the day itself the
        # readings (the issue time then cuts the issue day's afternoon).
        assert inputs.history["day"].max() == day - timedelta(days=2)
        assert inputs.readings["day"].max() == day - timedelta(days=1)
    blanked = held[0].history.filter(pl.col("day") == BAD_DAY, pl.col("meter_id") == "MTR-0002")
    assert blanked["energy_kwh"].null_count() == blanked.height == 2


def test_a_day_outside_the_days_held_is_refused_rather_than_read_short(tmp_path: Path) -> None:
    reads = DayAheadReads(_lake_of_three_weeks(tmp_path))
    reads.hold(TARGETS[0], TARGETS[2])

    with pytest.raises(ValueError, match="not in the days held"):
        reads.inputs(TARGETS[2])
