"""The day-ahead model's inputs: each meter's recent level and profile, the input columns it reads
from gold features, the design matrix, and which rows it can forecast (or why not).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

from checks.contracts import WEATHER_FIELDS
from ml.calendar_effects import holiday_like
from ml.forecasting.baselines import known_at_issue

LEVEL_DAYS = 14
MIN_HISTORY_DAYS = 3
"""Whole days with readings in the level window a meter needs before the model forecasts it."""

MODEL_INPUTS = (
    "level_kwh",
    "profile_kwh",
    "lag_1d_kwh",
    "lag_2d_kwh",
    "lag_7d_kwh",
    "interval_minutes",
    "local_minute_of_day",
    "local_day_of_week",
    "is_weekend",
    "is_holiday",
    "is_bridge_day",
    "is_end_of_year",
    "month",
    *WEATHER_FIELDS,
    "heating_degree_c",
    "cooling_degree_c",
    "profile_temperature_c",
    "day_temperature_c",
)
"""What the registered model takes, per row (absolute kWh; ratios are computed inside)."""

AS_SEEN = {"is_holiday": holiday_like()}
"""Inputs the booster sees other than as read from gold: the end-of-year period counts as a
holiday (`ml.calendar_effects.holiday_like`), for the profiles too (`day_kind`)."""
LAGS = ("lag_1d_kwh", "lag_2d_kwh", "lag_7d_kwh")
RATIOS = ("profile_kwh", *LAGS)
"""Inputs in kWh the booster sees as ratios to the meter's level, so meters of any size share it."""
DERIVED = ("level_kwh", "profile_kwh", "profile_temperature_c", "day_temperature_c")
"""Model inputs computed by `model_inputs` from the history, not read from gold."""
GOLD_COLUMNS = [
    "meter_id",
    "interval_start_utc",
    "region",
    "energy_kwh",
    "weather_source",
    "observed_temperature_c",
    "day",
    *[c for c in MODEL_INPUTS if c not in DERIVED],
]
"""The gold `consumption_features` columns training and forecasting read."""


def meter_levels(history: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """Each (meter_id, day) of `targets` with `level_kwh`, the meter's mean |kWh| per interval over
    the `LEVEL_DAYS` whole days before the issue day (days D-1-LEVEL_DAYS .. D-2, all known at
    issue time), and `history_days`, how many of those days had readings."""
    daily = (
        history.filter(pl.col("energy_kwh").is_not_null())
        .group_by("meter_id", "day")
        .agg(energy_abs_sum=pl.col("energy_kwh").abs().sum(), readings=pl.len())
        .rename({"day": "past_day"})
    )
    wanted = targets.select("meter_id", "day").unique()
    window = (
        wanted.join(daily, on="meter_id")
        .filter(
            (pl.col("past_day") < pl.col("day") - timedelta(days=1))
            & (pl.col("past_day") >= pl.col("day") - timedelta(days=1 + LEVEL_DAYS))
        )
        .group_by("meter_id", "day")
        .agg(
            level_kwh=pl.col("energy_abs_sum").sum() / pl.col("readings").sum(),
            history_days=pl.len().cast(pl.Int32),
        )
    )
    return wanted.join(window, on=["meter_id", "day"], how="left").with_columns(
        pl.col("history_days").fill_null(0)
    )


def meter_profiles(history: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """Per (meter_id, day, local_minute_of_day, day_kind) of `targets`: `profile_kwh`, the meter's
    mean reading at that time on days of that kind, and `profile_temperature_c`, the mean observed
    temperature then, over the same whole days as `meter_levels` (known at issue time).

    Averaging the same time over several days removes most of the noise a single lag carries;
    the temperature says how the target day's weather differs from those days'. Window sums are
    differences of running sums found by as-of joins, so the cost grows with the rows, not with
    rows times window days.
    """
    keys = ["meter_id", "local_minute_of_day", "day_kind"]
    temperature = pl.col("observed_temperature_c")
    running = (
        history.filter(pl.col("energy_kwh").is_not_null())
        .with_columns(day_kind(holiday_like()))
        .group_by(*keys, "day")
        .agg(
            kwh=pl.col("energy_kwh").sum(),
            readings=pl.len(),
            temperature=temperature.sum(),
            temperatures=temperature.count(),
        )
        .sort("day")
        .with_columns(pl.col("kwh", "readings", "temperature", "temperatures").cum_sum().over(keys))
    )
    wanted = (
        targets.with_columns(day_kind(holiday_like()))
        .select(*keys, "day")
        .unique()
        .with_columns(
            last=pl.col("day") - timedelta(days=2),
            before=pl.col("day") - timedelta(days=2 + LEVEL_DAYS),
        )
    )

    def as_of(column: str) -> pl.DataFrame:
        return (
            wanted.sort(column)
            .join_asof(
                running,
                left_on=column,
                right_on="day",
                by=keys,
                suffix="_past",
                check_sortedness=False,  # both sides are sorted on the day just above
            )
            .select(*keys, "day", "kwh", "readings", "temperature", "temperatures")
        )

    upto, before = as_of("last"), as_of("before")
    window = upto.join(before, on=[*keys, "day"], suffix="_before").with_columns(
        *[
            (pl.col(c) - pl.col(f"{c}_before").fill_null(0)).alias(c)
            for c in ("kwh", "readings", "temperature", "temperatures")
        ]
    )
    return window.select(
        *keys,
        "day",
        profile_kwh=pl.when(pl.col("readings") > 0).then(pl.col("kwh") / pl.col("readings")),
        profile_temperature_c=pl.when(pl.col("temperatures") > 0).then(
            pl.col("temperature") / pl.col("temperatures")
        ),
    )


def day_kind(day_off: pl.Expr | None = None) -> pl.Expr:
    """0 working day, 1 Saturday, 2 Sunday or `day_off` (default: a public holiday): days whose
    load shapes differ."""
    off = pl.col("is_holiday") if day_off is None else day_off
    return (
        pl.when(off | (pl.col("local_day_of_week") == 6))
        .then(pl.lit(2, pl.Int8))
        .when(pl.col("local_day_of_week") == 5)
        .then(pl.lit(1, pl.Int8))
        .otherwise(pl.lit(0, pl.Int8))
        .alias("day_kind")
    )


def model_inputs(
    features: pl.DataFrame, history: pl.DataFrame, issue_hour_utc: int
) -> pl.DataFrame:
    """`features` restricted to what was known at each row's issue time, with the meter's level
    and profile (`meter_levels`, `meter_profiles`) and `day_temperature_c`, the mean temperature
    of the meter's target day as forecast (known at issue time): demand follows a day's warmth
    as much as the hour's, as buildings store heat.

    `history` holds earlier gold feature rows (`GOLD_COLUMNS`; the `LEVEL_DAYS` + 1 days before
    the first target day suffice); it may overlap `features`: only whole days before each issue
    day are used.
    """
    known = known_at_issue(features, issue_hour_utc)
    readings = [
        "meter_id",
        "day",
        "interval_start_utc",
        "energy_kwh",
        "local_minute_of_day",
        "local_day_of_week",
        "is_holiday",
        "is_end_of_year",
        "observed_temperature_c",
    ]
    # Where an interval is in both, history's row is kept: target rows carry no reading yet.
    past = pl.concat([history.select(readings), features.select(readings)]).unique(
        subset=["meter_id", "interval_start_utc"], keep="first"
    )
    levels = meter_levels(past, known)
    profiles = meter_profiles(past, known)
    return (
        known.with_columns(
            day_kind(holiday_like()),
            day_temperature_c=pl.col("temperature_c").mean().over("meter_id", "day"),
        )
        .join(levels, on=["meter_id", "day"], how="left", maintain_order="left")
        .join(
            profiles,
            on=["meter_id", "day", "local_minute_of_day", "day_kind"],
            how="left",
            maintain_order="left",
        )
        .drop("day_kind")
    )


def design_matrix(inputs: pl.DataFrame) -> np.ndarray:
    """The booster's features: lags as ratios to the level, the rest as given (nulls are NaN,
    which XGBoost routes down a learned default branch)."""
    level = pl.col("level_kwh")
    columns = [
        *[
            (pl.col(c) / level if c in RATIOS else AS_SEEN.get(c, pl.col(c)))
            .cast(pl.Float64)
            .alias(c)
            for c in MODEL_INPUTS
        ],
        (pl.col("temperature_c") - pl.col("profile_temperature_c")).alias("warmer_than_profile_c"),
    ]
    return inputs.select(columns).to_numpy().astype(np.float64)


def feature_names() -> list[str]:
    return [
        *[f"{c[:-4]}_ratio" if c in RATIOS else c for c in MODEL_INPUTS],
        "warmer_than_profile_c",
    ]


def usable(inputs: pl.DataFrame) -> pl.Series:
    """Rows the model may forecast (`fallback_reason` is null); see `fallback_reasons`."""
    return fallback_reasons(inputs, has_model=True).is_null()


def fallback_reasons(inputs: pl.DataFrame, has_model: bool) -> pl.Series:
    """Why a row cannot get the model's forecast, or null when it can."""
    level = pl.col("level_kwh")
    reason = (
        pl.when(pl.lit(not has_model))
        .then(pl.lit("no trained model for this target day"))
        .when(pl.col("history_days") < MIN_HISTORY_DAYS)
        .then(
            pl.format(
                "too little history: {} whole days of readings before the issue day (needs {})",
                pl.col("history_days"),
                pl.lit(MIN_HISTORY_DAYS),
            )
        )
        .when(level.is_null() | level.is_nan() | (level <= 0))
        .then(pl.lit("no energy through the meter in its recent history"))
        .when(pl.col("weather_source") == "missing")
        .then(pl.lit("no weather known at issue time"))
        .when(
            pl.any_horizontal(
                [pl.col(c).cast(pl.Float64).is_infinite() for c in MODEL_INPUTS]
                + [pl.col(c).cast(pl.Float64).is_nan() for c in MODEL_INPUTS]
            )
        )
        .then(pl.lit("non-finite model input"))
    )
    return inputs.select(reason.alias("fallback_reason")).to_series()
