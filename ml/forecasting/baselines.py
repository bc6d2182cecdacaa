"""Naive day-ahead forecasts: the yardsticks a model must beat, and fallbacks when it cannot run.

All work on frames shaped like gold `consumption_features` (one row per meter and interval). What
a naive forecast may use is what was known at the issue time (the day before the target day, at
the issue hour): `known_at_issue` blanks the one-day lag where that reading came later.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

SAME_TIME_YESTERDAY = "same_time_yesterday"
SAME_TIME_LAST_WEEK = "same_time_last_week"
VANILLA_BASELINE = "vanilla"
"""Tao Hong's benchmark regression (`ml.forecasting.vanilla`): a baseline where a frame has
`vanilla_kwh`."""
METER_PROFILE = "fallback:meter_profile_average"
FLEET_PROFILE = "fallback:fleet_profile_average"
LAST_WEEK_FALLBACK = f"fallback:{SAME_TIME_LAST_WEEK}"
NO_HISTORY = "fallback:no_history"
"""`model_used` of the last resort (zero with a zero band): no meter has any history yet."""
PROFILE_FALLBACKS = (LAST_WEEK_FALLBACK, METER_PROFILE, FLEET_PROFILE, NO_HISTORY)
"""`model_used` of `fallback_forecasts`' rows: each depends on the history's profiles (its band at
least)."""


def issue_instant(issue_hour_utc: int) -> pl.Expr:
    """Issue time of each row's target day `day`: the day before, at the issue hour (UTC)."""
    return (
        pl.col("day").cast(pl.Datetime("us", "UTC"))
        - timedelta(days=1)
        + pl.duration(hours=issue_hour_utc)
    )


def known_at_issue(frame: pl.DataFrame, issue_hour_utc: int) -> pl.DataFrame:
    """Blank `lag_1d_kwh` where that reading ended after the issue time (the afternoon of the day
    before, for a noon issue): a day-ahead forecast cannot have seen it. Longer lags are whole
    earlier days, always known."""
    lag_end = (
        pl.col("interval_start_utc")
        - timedelta(days=1)
        + pl.duration(minutes=pl.col("interval_minutes"))
    )
    return frame.with_columns(
        lag_1d_kwh=pl.when(lag_end <= issue_instant(issue_hour_utc)).then(pl.col("lag_1d_kwh"))
    )


NAIVE = (SAME_TIME_YESTERDAY, SAME_TIME_LAST_WEEK)
"""The baselines a row needs to be scored."""


def baseline_names(scored: pl.DataFrame) -> tuple[str, ...]:
    """The baselines to compare `scored` rows (with `naive_forecasts`' columns, each naive one
    known) with: the naive ones, and vanilla where it forecast every one of the rows (a meter
    without enough history for the regression, or a period without a model, has none)."""
    has_vanilla = VANILLA_BASELINE in scored.columns and scored[VANILLA_BASELINE].null_count() == 0
    return (*NAIVE, *((VANILLA_BASELINE,) if has_vanilla else ()))


def naive_forecasts(frame: pl.DataFrame) -> pl.DataFrame:
    """The baselines of a frame already passed through `known_at_issue`: same time yesterday (the
    latest same-time reading known, yesterday's or the day before's), same time last week, and
    the vanilla regression's forecast where the frame carries one (`vanilla_kwh`). Null where the
    reading is missing."""
    vanilla = (
        [pl.col("vanilla_kwh").alias(VANILLA_BASELINE)] if "vanilla_kwh" in frame.columns else []
    )
    return frame.select(
        pl.coalesce("lag_1d_kwh", "lag_2d_kwh").alias(SAME_TIME_YESTERDAY),
        pl.col("lag_7d_kwh").alias(SAME_TIME_LAST_WEEK),
        *vanilla,
    )


def profiles(history: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each meter's, and the fleet's, mean and P10/P90 at each local minute of day over `history`
    (rows with `meter_id`, `local_minute_of_day`, `energy_kwh`; missing readings ignored)."""
    known = history.filter(pl.col("energy_kwh").is_not_null())
    stats = [
        pl.col("energy_kwh").mean().alias("profile_kwh"),
        pl.col("energy_kwh").quantile(0.1).alias("profile_p10_kwh"),
        pl.col("energy_kwh").quantile(0.9).alias("profile_p90_kwh"),
    ]
    meter = known.group_by("meter_id", "local_minute_of_day").agg(stats)
    fleet = known.group_by("local_minute_of_day").agg(stats)
    return meter, fleet


def fallback_forecasts(targets: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """A forecast for every target row without a model, the first that applies of: same time
    last week, the meter's profile average, the fleet's profile average, zero (no history at
    all). The P10/P90 band is the profile's own spread at that time of day, widened to hold the
    point. Returns `targets` with `forecast_kwh`, `p10_kwh`, `p90_kwh` and `model_used`."""
    meter, fleet = profiles(history)
    fleet = fleet.rename({c: f"fleet_{c}" for c in fleet.columns if c != "local_minute_of_day"})
    joined = targets.join(
        meter, on=["meter_id", "local_minute_of_day"], how="left", maintain_order="left"
    ).join(fleet, on="local_minute_of_day", how="left", maintain_order="left")
    has_last_week = pl.col("lag_7d_kwh").is_not_null()
    has_meter = pl.col("profile_kwh").is_not_null()
    has_fleet = pl.col("fleet_profile_kwh").is_not_null()

    point = (
        pl.when(has_last_week)
        .then(pl.col("lag_7d_kwh"))
        .when(has_meter)
        .then(pl.col("profile_kwh"))
        .when(has_fleet)
        .then(pl.col("fleet_profile_kwh"))
        .otherwise(pl.lit(0.0))
    )
    band_low = pl.coalesce("profile_p10_kwh", "fleet_profile_p10_kwh", pl.lit(0.0))
    band_high = pl.coalesce("profile_p90_kwh", "fleet_profile_p90_kwh", pl.lit(0.0))
    used = (
        pl.when(has_last_week)
        .then(pl.lit(LAST_WEEK_FALLBACK))
        .when(has_meter)
        .then(pl.lit(METER_PROFILE))
        .when(has_fleet)
        .then(pl.lit(FLEET_PROFILE))
        .otherwise(pl.lit(NO_HISTORY))
    )
    return (
        joined.with_columns(forecast_kwh=point, model_used=used)
        .with_columns(
            p10_kwh=pl.min_horizontal(band_low, "forecast_kwh"),
            p90_kwh=pl.max_horizontal(band_high, "forecast_kwh"),
        )
        .select(*targets.columns, "forecast_kwh", "p10_kwh", "p90_kwh", "model_used")
    )
