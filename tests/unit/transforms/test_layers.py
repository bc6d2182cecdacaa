from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pyarrow as pa
import pytest

from checks.contracts import (
    BRONZE_METER_READINGS,
    BRONZE_WEATHER,
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
)
from energy_assets.sources import simulator
from energy_assets.sources.simulator.source import simulated_readings, simulated_weather
from energy_assets.storage.lake import Lake, days_in
from energy_assets.transforms.cleaning import current_meters, unit_context
from energy_assets.transforms.layers import (
    CHUNK_DAYS,
    EVIDENCE_COLUMNS,
    bronze_reading_chunks,
    bronze_weather_chunks,
    chunk_days,
    chunks,
    evidence_around,
    feature_chunks,
    read_ahead,
    silver_readings_chunks,
    silver_weather_chunks,
)
from energy_assets.transforms.unit_evidence import CONTEXT_DAYS

# Spans the spring DST change (2024-03-31) and Easter; longer than one chunk.
FIRST, START, END = date(2024, 3, 22), date(2024, 3, 25), date(2024, 4, 3)
CONFIG = simulator.SimulatorConfig(n_meters=3)


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Lake:
    lake = Lake(str(tmp_path_factory.mktemp("lake")))
    meters = current_meters(simulator.simulate_meters(CONFIG)).table
    lake.overwrite(SILVER_METERS, meters)
    lake.replace_chunks(
        BRONZE_METER_READINGS,
        (r for r, _ in bronze_reading_chunks([simulated_readings(CONFIG)], FIRST, END)),
    )
    lake.replace_chunks(
        BRONZE_WEATHER, bronze_weather_chunks([simulated_weather(CONFIG)], FIRST, END)
    )
    lake.replace_chunks(
        SILVER_METER_READINGS, (c for c, _ in silver_readings_chunks(lake, meters, FIRST, END))
    )
    lake.replace_chunks(SILVER_WEATHER, (c for c, _ in silver_weather_chunks(lake, FIRST, END)))
    return lake


def test_reading_ahead_gives_each_chunks_rows_in_order(lake: Lake) -> None:
    read = list(read_ahead(lake, BRONZE_METER_READINGS, FIRST, END))

    assert [(low, high) for low, high, _ in read] == list(chunks(FIRST, END))
    for low, high, rows in read:
        assert pl.DataFrame(rows).equals(pl.DataFrame(lake.read(BRONZE_METER_READINGS, low, high)))


def test_evidence_around_each_window_holds_the_bronze_days_on_both_sides(lake: Lake) -> None:
    margin = timedelta(days=CONTEXT_DAYS)
    meters = lake.read(SILVER_METERS)
    windows = list(chunks(FIRST, END, size=3))

    held = list(evidence_around(lake, windows, lambda rows: unit_context(rows, meters)))

    assert len(held) == len(windows) > 1
    key = ["meter_key", "at_utc", "ingested_at_utc"]
    for (low, high), context in zip(windows, held, strict=True):
        direct = unit_context(
            pa.concat_tables(
                lake.read(BRONZE_METER_READINGS, first, last, EVIDENCE_COLUMNS)
                for first, last in ((low - margin, low), (high, high + margin))
            ),
            meters,
        )
        assert direct.series.height > 0
        assert context.series.sort(key).equals(direct.series.sort(key))
        assert context.peaks.sort("meter_key", "day").equals(direct.peaks.sort("meter_key", "day"))


def test_features_of_a_multi_chunk_window_equal_those_built_day_by_day(lake: Lake) -> None:
    meters = lake.read(SILVER_METERS)
    assert (END - START).days > CHUNK_DAYS  # history is carried from one chunk to the next

    windowed = [c.table for c in feature_chunks(lake, meters, START, END, 12)]
    daily = [
        c.table
        for day in days_in(START, END)
        for c in feature_chunks(lake, meters, day, day + timedelta(days=1), 12)
    ]

    def frame(tables: list) -> pl.DataFrame:
        rows = pl.concat([pl.from_arrow(t) for t in tables])
        assert isinstance(rows, pl.DataFrame)
        return rows.sort("meter_id", "interval_start_utc")

    assert frame(windowed).equals(frame(daily))
    assert frame(windowed).get_column("lag_7d_kwh").is_not_null().any()


def test_a_chunk_holds_fewer_days_as_the_fleet_grows_within_one_and_a_week() -> None:
    def fleet(half_hourly: int, quarter_hourly: int = 0, unknown: int = 0) -> pa.Table:
        minutes = [30] * half_hourly + [15] * quarter_hourly + [None] * unknown
        return pa.table({"interval_minutes": pa.array(minutes, pa.int16())})

    assert chunk_days(fleet(50), 250_000) == CHUNK_DAYS
    assert chunk_days(fleet(1_000), 250_000) == 5  # 48,000 readings a day
    assert chunk_days(fleet(500, 500), 250_000) == 3  # 72,000 a day: 15-minute meters weigh double
    assert chunk_days(fleet(500, unknown=500), 250_000) == 5  # unknown intervals: half-hourly
    assert chunk_days(fleet(100_000), 250_000) == 1
    assert chunk_days(fleet(0), 250_000) == CHUNK_DAYS


def test_silver_readings_and_features_in_chunks_of_two_days_equal_those_of_a_week(
    lake: Lake,
) -> None:
    meters = lake.read(SILVER_METERS)

    def frame(tables: list) -> pl.DataFrame:
        rows = pl.concat([pl.from_arrow(t) for t in tables])
        assert isinstance(rows, pl.DataFrame)
        return rows.sort("meter_id", "interval_start_utc")

    def built(days: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        silver = [c.table for c, _ in silver_readings_chunks(lake, meters, START, END, days=days)]
        features = [c.table for c in feature_chunks(lake, meters, START, END, 12, days=days)]
        return frame(silver), frame(features)

    (weekly_silver, weekly_features), (silver, features) = built(CHUNK_DAYS), built(2)

    assert (END - START).days > 2 * 2
    assert silver.equals(weekly_silver)
    assert features.equals(weekly_features)
