"""Gold consumption features: consumption, weather known at issue time, local calendar, lags.

One UTC day at a time, from silver tables, as plain functions (no Dagster). Leakage-free by
construction: weather columns hold the latest forecast issued no later than the day-ahead issue
time (the day before, at `issue_hour_utc`); lags are whole earlier days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays
import numpy as np
import polars as pl
import pyarrow as pa

from checks.contracts import GOLD_CONSUMPTION_FEATURES, WEATHER_FIELDS

HEATING_BASE_C = 15.5
COOLING_BASE_C = 22.0
LAG_DAYS = (1, 2, 7)
MINUTES_KEY_SPAN = 1 << 32  # more minutes than there are between 1970 and 9999
HISTORY_DAYS = max(LAG_DAYS)


def issue_time_utc(target_day: date, issue_hour_utc: int) -> datetime:
    """When the day-ahead forecast for `target_day` is issued: the day before, at the hour."""
    return datetime.combine(target_day - timedelta(days=1), time(issue_hour_utc), tzinfo=UTC)


@lru_cache(maxsize=256)
def _holiday_calendar(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    try:
        calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError:
        return frozenset()
    return frozenset(calendar.keys())


def holiday_flags(frame: pl.DataFrame) -> pl.Series:
    """Whether each row's `local_date` is a public holiday of its `country`/`subdivision`."""
    keys = frame.select("country", "subdivision", "local_date").unique()
    flags = [
        bool(country) and local_date in _holiday_calendar(country, subdivision, local_date.year)
        for country, subdivision, local_date in keys.iter_rows()
    ]
    lookup = keys.with_columns(is_holiday=pl.Series(flags, dtype=pl.Boolean))
    return (
        frame.select("country", "subdivision", "local_date")
        .join(
            lookup,
            on=["country", "subdivision", "local_date"],
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
        .get_column("is_holiday")
        .fill_null(False)
    )


def _utc_offsets(instants: pl.DataFrame) -> pl.DataFrame:
    """The UTC offset of each (timezone, quarter-hour) pair: few pairs, converted zone by zone."""
    parts = [
        group.with_columns(
            utc_offset=pl.col("_quarter").dt.convert_time_zone(str(zone)).dt.replace_time_zone(None)
            - pl.col("_quarter").dt.replace_time_zone(None)
        )
        for (zone,), group in instants.group_by("timezone")
    ]
    if not parts:
        return instants.with_columns(utc_offset=pl.lit(None, pl.Duration("us")))
    return pl.concat(parts)


def local_calendar(frame: pl.DataFrame) -> pl.DataFrame:
    """Adds the meter's local date, hour, minute of day, weekday (Monday=0), month, day of year,
    weekend and holiday flags, keeping the frame's row order.

    Offsets change only at whole quarter hours, so each row's local time is its UTC instant plus
    the offset of its (zone, quarter hour), looked up from a small table.
    """
    with_quarter = frame.with_columns(_quarter=pl.col("interval_start_utc").dt.truncate("15m"))
    offsets = _utc_offsets(with_quarter.select("timezone", "_quarter").unique())
    local = pl.col("_local")
    calendar = (
        with_quarter.join(offsets, on=["timezone", "_quarter"], how="left", maintain_order="left")
        .with_columns(
            _local=pl.col("interval_start_utc").dt.replace_time_zone(None) + pl.col("utc_offset")
        )
        .with_columns(
            local_date=local.dt.date(),
            local_hour=local.dt.hour().cast(pl.Int8),
            local_minute_of_day=(local.dt.hour().cast(pl.Int16) * 60 + local.dt.minute()).cast(
                pl.Int16
            ),
            local_day_of_week=(local.dt.weekday() - 1).cast(pl.Int8),
            month=local.dt.month().cast(pl.Int8),
            day_of_year=local.dt.ordinal_day().cast(pl.Int16),
        )
        .drop("_quarter", "_local", "utc_offset")
    )
    return calendar.with_columns(
        is_weekend=pl.col("local_day_of_week") >= 5, is_holiday=holiday_flags(calendar)
    )


def weather_as_known(weather: pl.DataFrame, issue_hour_utc: int) -> pl.DataFrame:
    """Per location and valid hour: the latest forecast issued by the day-ahead issue time of the
    hour's UTC day, and the observation, side by side (`obs_*` columns)."""
    issued_by = (
        pl.col("valid_at_utc").dt.truncate("1d")
        - timedelta(days=1)
        + timedelta(hours=issue_hour_utc)
    )
    forecasts = (
        weather.filter((pl.col("kind") == "forecast") & (pl.col("issued_at_utc") <= issued_by))
        .sort("issued_at_utc")
        .group_by(["location_id", "valid_at_utc"])
        .last()
        .select(
            "location_id",
            "valid_at_utc",
            *WEATHER_FIELDS,
            pl.col("issued_at_utc").alias("weather_issued_at_utc"),
        )
    )
    observations = (
        weather.filter(pl.col("kind") == "observation")
        .group_by(["location_id", "valid_at_utc"])
        .last()
        .select(
            "location_id", "valid_at_utc", *[pl.col(f).alias(f"obs_{f}") for f in WEATHER_FIELDS]
        )
    )
    return forecasts.join(
        observations, on=["location_id", "valid_at_utc"], how="full", coalesce=True
    )


def build_consumption_features(
    readings: pa.Table,
    history: pa.Table,
    weather: pa.Table,
    meters: pa.Table,
    issue_hour_utc: int = 12,
) -> pa.Table:
    """Gold `consumption_features` for the days of `readings` (silver).

    `history` holds silver readings of the `HISTORY_DAYS` days before them (missing days give
    null lags); `weather` silver weather valid on the same days. Each day's weather is the
    forecast as known at its own issue time; where none was issued in time, the observation
    stands in and `weather_source` says so. Rows depend only on their own day and its history, so
    building a window equals building each of its days.
    """
    frame = pl.from_arrow(readings)
    registry = pl.from_arrow(meters)
    assert isinstance(frame, pl.DataFrame) and isinstance(registry, pl.DataFrame)
    frame = frame.join(
        registry.select(
            "meter_id",
            "location_id",
            "region",
            "customer_type",
            "timezone",
            "country",
            "subdivision",
        ),
        on="meter_id",
        how="inner",
        maintain_order="left",
    )
    frame = local_calendar(frame)
    known = weather_as_known(_frame(weather), issue_hour_utc)
    has_forecast = pl.col("weather_issued_at_utc").is_not_null()
    has_observation = pl.col("obs_temperature_c").is_not_null()
    frame = (
        frame.with_columns(valid_at_utc=pl.col("interval_start_utc").dt.truncate("1h"))
        .join(known, on=["location_id", "valid_at_utc"], how="left", maintain_order="left")
        .with_columns(
            *[
                pl.when(has_forecast).then(pl.col(f)).otherwise(pl.col(f"obs_{f}")).alias(f)
                for f in WEATHER_FIELDS
            ],
            weather_source=pl.when(has_forecast)
            .then(pl.lit("forecast"))
            .when(has_observation)
            .then(pl.lit("observation"))
            .otherwise(pl.lit("missing")),
            observed_temperature_c=pl.col("obs_temperature_c"),
        )
        .with_columns(
            heating_degree_c=(HEATING_BASE_C - pl.col("temperature_c")).clip(lower_bound=0.0),
            cooling_degree_c=(pl.col("temperature_c") - COOLING_BASE_C).clip(lower_bound=0.0),
        )
    )
    frame = _with_lags(frame, _frame(history))
    return (
        frame.select(GOLD_CONSUMPTION_FEATURES.schema.names)
        .to_arrow()
        .cast(GOLD_CONSUMPTION_FEATURES.schema)
    )


def _with_lags(frame: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """Each lag is the same interval whole days earlier, found by binary search on one integer key
    (meter number, minute) over the sorted past: the rows of a join, several times faster."""
    numbers = frame.select("meter_id").unique().with_row_index("_meter")
    minute_key = pl.col("_meter").cast(pl.Int64) * MINUTES_KEY_SPAN + (
        pl.col("interval_start_utc").dt.epoch("s") // 60
    )
    frame = frame.join(numbers, on="meter_id", maintain_order="left").with_columns(_key=minute_key)
    past = (
        pl.concat(
            [
                history.select("meter_id", "interval_start_utc", "energy_kwh")
                .join(numbers, on="meter_id")
                .select(minute_key.alias("_key"), "energy_kwh"),
                frame.select("_key", "energy_kwh"),
            ]
        )
        .sort("_key")
        .with_columns(pl.col("energy_kwh").fill_null(np.nan))
    )
    past_keys = past.get_column("_key").to_numpy()
    past_energy = past.get_column("energy_kwh").to_numpy()
    keys = frame.get_column("_key").to_numpy()
    lags = {}
    for lag in LAG_DAYS:
        wanted = keys - lag * 24 * 60
        found = np.minimum(np.searchsorted(past_keys, wanted), max(len(past_keys) - 1, 0))
        hit = (past_keys[found] == wanted) if len(past_keys) else np.zeros(len(keys), bool)
        values = np.where(hit, past_energy[found] if len(past_keys) else np.nan, np.nan)
        lags[f"lag_{lag}d_kwh"] = pl.Series(values).fill_nan(None)
    return frame.drop("_meter", "_key").with_columns(**lags)


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame
