"""Gold consumption features: consumption, weather known at issue time, local calendar, lags.

One UTC day at a time, from silver tables, as plain functions (no Dagster). Leakage-free by
construction: weather columns hold the latest forecast issued no later than the day-ahead issue
time (the day before, at `issue_hour_utc`); lags are whole earlier days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays
import polars as pl
import pyarrow as pa

from checks.contracts import GOLD_CONSUMPTION_FEATURES, WEATHER_FIELDS

HEATING_BASE_C = 15.5
COOLING_BASE_C = 22.0
LAG_DAYS = (1, 2, 7)
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
        .join(lookup, on=["country", "subdivision", "local_date"], how="left", nulls_equal=True)
        .get_column("is_holiday")
        .fill_null(False)
    )


def local_calendar(frame: pl.DataFrame) -> pl.DataFrame:
    """Adds the meter's local date, hour, minute of day, weekday (Monday=0), month, day of year."""
    parts = []
    for (zone,), group in frame.group_by("timezone"):
        local = pl.col("interval_start_utc").dt.convert_time_zone(str(zone))
        parts.append(
            group.with_columns(
                local_date=local.dt.date(),
                local_hour=local.dt.hour().cast(pl.Int8),
                local_minute_of_day=(local.dt.hour().cast(pl.Int16) * 60 + local.dt.minute()).cast(
                    pl.Int16
                ),
                local_day_of_week=(local.dt.weekday() - 1).cast(pl.Int8),
                month=local.dt.month().cast(pl.Int8),
                day_of_year=local.dt.ordinal_day().cast(pl.Int16),
            )
        )
    if not parts:
        return frame.with_columns(
            local_date=pl.lit(None, pl.Date),
            local_hour=pl.lit(None, pl.Int8),
            local_minute_of_day=pl.lit(None, pl.Int16),
            local_day_of_week=pl.lit(None, pl.Int8),
            month=pl.lit(None, pl.Int8),
            day_of_year=pl.lit(None, pl.Int16),
        )
    calendar = pl.concat(parts)
    return calendar.with_columns(
        is_weekend=pl.col("local_day_of_week") >= 5, is_holiday=holiday_flags(calendar)
    )


def weather_as_known(weather: pl.DataFrame, issued_by_utc: datetime) -> pl.DataFrame:
    """Per location and valid hour: the latest forecast issued by the issue time, and the
    observation, side by side (`obs_*` columns)."""
    forecasts = (
        weather.filter((pl.col("kind") == "forecast") & (pl.col("issued_at_utc") <= issued_by_utc))
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
    day: date,
    issue_hour_utc: int = 12,
) -> pa.Table:
    """Gold `consumption_features` for one UTC day.

    `readings` are silver readings of `day`; `history` silver readings of up to `HISTORY_DAYS`
    earlier days (missing days give null lags); `weather` silver weather valid on `day`. Where no
    forecast was issued in time, the observation stands in and `weather_source` says so.
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
    )
    frame = local_calendar(frame)
    known = weather_as_known(_frame(weather), issue_time_utc(day, issue_hour_utc))
    has_forecast = pl.col("weather_issued_at_utc").is_not_null()
    has_observation = pl.col("obs_temperature_c").is_not_null()
    frame = (
        frame.with_columns(valid_at_utc=pl.col("interval_start_utc").dt.truncate("1h"))
        .join(known, on=["location_id", "valid_at_utc"], how="left")
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
    past = pl.concat(
        [
            history.select("meter_id", "interval_start_utc", "energy_kwh"),
            frame.select("meter_id", "interval_start_utc", "energy_kwh"),
        ]
    )
    for lag in LAG_DAYS:
        shifted = past.select(
            "meter_id",
            (pl.col("interval_start_utc") + timedelta(days=lag)).alias("interval_start_utc"),
            pl.col("energy_kwh").alias(f"lag_{lag}d_kwh"),
        ).unique(subset=["meter_id", "interval_start_utc"], keep="last")
        frame = frame.join(shifted, on=["meter_id", "interval_start_utc"], how="left")
    return frame


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame
