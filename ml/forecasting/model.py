"""Day-ahead consumption forecasts: one XGBoost model for every meter, with P10/P50/P90 outputs.

The model learns each interval's consumption relative to its meter's recent level (mean |kWh| per
interval over the `LEVEL_DAYS` whole days before the issue day), so meters of any size share it,
from lags known at issue time, the local calendar and the weather as forecast. One booster gives
the three quantiles (`reg:quantileerror`); the point forecast is the median.

Inputs are frames shaped like gold `consumption_features`; everything a row uses was known at its
target day's issue time (the day before, at the issue hour), in training as in production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pyarrow as pa

from checks.contracts import GOLD_FORECASTS, GOLD_REGION_FORECASTS, WEATHER_FIELDS
from ml.features import COOLING_BASE_C, HEATING_BASE_C
from ml.forecasting import vanilla as vanilla_regression
from ml.forecasting.baselines import (
    NAIVE,
    VANILLA_BASELINE,
    baseline_names,
    fallback_forecasts,
    known_at_issue,
    naive_forecasts,
)
from ml.forecasting.evaluation import compare_with_baselines
from ml.forecasting.training_window import HALF_LIFE_DAYS, recency_sample

if TYPE_CHECKING:
    import xgboost as xgb  # imported when training or predicting, not when definitions load

QUANTILES = (0.1, 0.5, 0.9)
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
)
"""What the registered model takes, per row (absolute kWh; ratios are computed inside)."""
MODEL_NAME = "day_ahead_consumption"
"""The registered forecasting model (`MlflowResource.model_name`; a unit test keeps them equal)."""

LAGS = ("lag_1d_kwh", "lag_2d_kwh", "lag_7d_kwh")
RATIOS = ("profile_kwh", *LAGS)
"""Inputs in kWh the booster sees as ratios to the meter's level, so meters of any size share it."""
DERIVED = ("level_kwh", "profile_kwh", "profile_temperature_c")
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


@dataclass(frozen=True)
class TrainingParams:
    """XGBoost settings and the windows of one training."""

    train_days: int = 5 * 365
    """How far back training reaches: in effect all history (an expanding window), sampled to
    `max_train_rows` with more weight on recent days (`ml.forecasting.training_window`)."""
    recency_half_life_days: float = HALF_LIFE_DAYS
    holdout_days: int = 7
    num_boost_round: int = 80
    max_depth: int = 6
    learning_rate: float = 0.25
    subsample: float = 0.8
    min_child_weight: float = 5.0
    max_bin: int = 128
    max_train_rows: int = 100_000
    """Training rows beyond this are sampled down (seeded, recent days likelier): the booster's
    time grows with rows and rounds, its accuracy hardly does past a hundred thousand rows
    (measured on a year of 50 meters: 100,000 rows and 80 rounds score the held-out week as well
    as 300,000 and 150, in a third of the time), so a year of many meters trains fast."""
    nthread: int = 2
    seed: int = 42

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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
        .with_columns(day_kind())
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
        targets.with_columns(day_kind())
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


def day_kind() -> pl.Expr:
    """0 working day, 1 Saturday, 2 Sunday or public holiday: days whose load shapes differ."""
    return (
        pl.when(pl.col("is_holiday") | (pl.col("local_day_of_week") == 6))
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
    and profile (`meter_levels`, `meter_profiles`).

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
        "observed_temperature_c",
    ]
    past = pl.concat([history.select(readings), features.select(readings)]).unique(
        subset=["meter_id", "interval_start_utc"]
    )
    levels = meter_levels(past, known)
    profiles = meter_profiles(past, known)
    return (
        known.with_columns(day_kind())
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
            (pl.col(c) / level if c in RATIOS else pl.col(c)).cast(pl.Float64).alias(c)
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


def train(inputs: pl.DataFrame, params: TrainingParams) -> xgb.Booster:
    """Fit the quantile booster on the usable rows of `inputs` that have a reading."""
    import xgboost as xgb

    rows = inputs.filter(usable(inputs) & pl.col("energy_kwh").is_not_null())
    if rows.height == 0:
        raise ValueError("no usable training rows: no meter has enough history in the window")
    if rows.height > params.max_train_rows:
        rows = rows.sample(params.max_train_rows, seed=params.seed)
    target = (rows["energy_kwh"] / rows["level_kwh"]).to_numpy()
    matrix = xgb.QuantileDMatrix(
        design_matrix(rows), label=target, feature_names=feature_names(), max_bin=params.max_bin
    )
    return xgb.train(
        {
            "objective": "reg:quantileerror",
            "quantile_alpha": np.array(QUANTILES),
            "tree_method": "hist",
            "max_depth": params.max_depth,
            "learning_rate": params.learning_rate,
            "subsample": params.subsample,
            "min_child_weight": params.min_child_weight,
            "max_bin": params.max_bin,
            "nthread": params.nthread,
            "seed": params.seed,
        },
        matrix,
        num_boost_round=params.num_boost_round,
    )


def predict(booster: xgb.Booster, inputs: pl.DataFrame, band_scale: float = 1.0) -> np.ndarray:
    """(rows, 3) kWh: P10, P50, P90, sorted per row so the quantiles never cross, the P10 and P90
    moved `band_scale` times their distance from the median (see `band_scale_for`)."""
    import xgboost as xgb

    matrix = xgb.DMatrix(design_matrix(inputs), feature_names=feature_names())
    ratios = np.asarray(booster.predict(matrix)).reshape(inputs.height, len(QUANTILES))
    quantiles = np.sort(ratios, axis=1) * inputs["level_kwh"].to_numpy()[:, None]
    median = quantiles[:, 1:2]
    return median + band_scale * (quantiles - median)


TARGET_COVERAGE = 0.8
"""Share of readings a P10-P90 band should hold."""


def band_scale_for(actual: np.ndarray, quantiles: np.ndarray) -> float:
    """The factor on the band's distances from the median that makes it hold `TARGET_COVERAGE` of
    `actual` (held-out readings never trained on): quantile boosters fit their training rows and
    come out too narrow on new days, so the band is calibrated on the held-out days."""
    low, median, high = quantiles[:, 0], quantiles[:, 1], quantiles[:, 2]
    below = actual < median
    distance = np.where(below, median - actual, actual - median)
    width = np.where(below, median - low, high - median)
    needed = np.divide(distance, width, out=np.full_like(distance, np.inf), where=width > 0)
    needed[distance == 0] = 0.0
    return float(np.quantile(needed, TARGET_COVERAGE))


Predictor = Callable[[pl.DataFrame], np.ndarray]
"""Model input rows to (rows, 3) kWh quantiles: `predict` bound to a booster, or a loaded model."""


def forecast(
    predictor: Predictor | None,
    inputs: pl.DataFrame,
    history: pl.DataFrame,
    model_name: str,
    vanilla: dict[str, vanilla_regression.MeterRegression] | None = None,
) -> pl.DataFrame:
    """Every row of `inputs` with `forecast_kwh`, `p10_kwh`, `p90_kwh`, `model_used` and
    `fallback_reason`: the model where it may run, else the meter's vanilla regression
    (`ml.forecasting.vanilla`, when `vanilla` has one for it and the row its inputs), else the
    first fallback that applies (see `ml.forecasting.baselines.fallback_forecasts`, profiles from
    `history`). Never a
    missing forecast. With `vanilla`, every row also carries the regression's forecast
    (`vanilla_kwh`, `vanilla_p10_kwh`, `vanilla_p90_kwh`), the benchmark it is scored against."""
    if vanilla is not None:
        inputs = pl.concat([inputs, vanilla_regression.predict(vanilla, inputs)], how="horizontal")
    reasons = fallback_reasons(inputs, has_model=predictor is not None)
    frame = inputs.with_columns(reasons).with_row_index("_row")
    modelled = frame.filter(pl.col("fallback_reason").is_null())
    parts = []
    if modelled.height:
        assert predictor is not None
        quantiles = predictor(modelled)
        parts.append(
            modelled.with_columns(
                p10_kwh=pl.Series(quantiles[:, 0]),
                forecast_kwh=pl.Series(quantiles[:, 1]),
                p90_kwh=pl.Series(quantiles[:, 2]),
                model_used=pl.lit(model_name),
            )
        )
    fallback = frame.filter(pl.col("fallback_reason").is_not_null())
    if vanilla is not None:
        regressed = fallback.filter(pl.col("vanilla_kwh").is_not_null())
        parts.append(
            regressed.with_columns(
                forecast_kwh=pl.col("vanilla_kwh"),
                p10_kwh=pl.min_horizontal("vanilla_p10_kwh", "vanilla_kwh"),
                p90_kwh=pl.max_horizontal("vanilla_p90_kwh", "vanilla_kwh"),
                model_used=pl.col("vanilla_used"),
            )
        )
        fallback = fallback.filter(pl.col("vanilla_kwh").is_null())
    if fallback.height:
        parts.append(fallback_forecasts(fallback, history))
    columns = [*frame.columns, "forecast_kwh", "p10_kwh", "p90_kwh", "model_used"]
    if not parts:  # no meter to forecast: an empty frame with the same columns
        empty = {"forecast_kwh": pl.Float64, "p10_kwh": pl.Float64, "p90_kwh": pl.Float64}
        parts.append(
            frame.with_columns(
                *[pl.lit(None, dtype).alias(name) for name, dtype in empty.items()],
                model_used=pl.lit(None, pl.String),
            )
        )
    return pl.concat([p.select(columns) for p in parts]).sort("_row").drop("_row")


def under_observed_weather(features: pl.DataFrame) -> pl.DataFrame:
    """`features` with the observed temperature in place of the forecast one (and the degree
    columns recomputed from it), for judging consumption after the fact. Gold keeps only the
    observed temperature: the other weather fields stay as known at issue time. Rows without an
    observation keep their forecast weather and `weather_source`."""
    observed = pl.col("observed_temperature_c")
    temperature = pl.coalesce(observed, pl.col("temperature_c"))
    return features.with_columns(
        temperature_c=temperature,
        heating_degree_c=(HEATING_BASE_C - temperature).clip(lower_bound=0.0),
        cooling_degree_c=(temperature - COOLING_BASE_C).clip(lower_bound=0.0),
        weather_source=pl.when(observed.is_not_null())
        .then(pl.lit("observation"))
        .otherwise(pl.col("weather_source")),
    )


def expected_consumption(
    predictor: Predictor | None,
    features: pl.DataFrame,
    history: pl.DataFrame,
    issue_hour_utc: int,
    model_name: str = "expected",
) -> pl.DataFrame:
    """What a model expects each row of `features` (gold consumption features) to consume under
    the weather that was observed, for anomaly detection: every row with `expected_kwh` (P50),
    `expected_low_kwh` (P10), `expected_high_kwh` (P90), `model_used` and `fallback_reason`.

    Lags and levels follow the day-ahead rules the model was trained with (`model_inputs`), so
    only the weather differs from its forecast; `history` holds the gold rows of the days before
    (`LEVEL_DAYS` + 1 suffice, overlap allowed). Rows the model cannot take get the named
    fallback of `forecast`, so an expectation is never missing; `predictor` None means fallbacks
    only (no trained model yet). Load a registered model with `ml.tracking.load_predictor`.
    """
    inputs = model_inputs(under_observed_weather(features), history, issue_hour_utc)
    return forecast(predictor, inputs, history, model_name).rename(
        {
            "forecast_kwh": "expected_kwh",
            "p10_kwh": "expected_low_kwh",
            "p90_kwh": "expected_high_kwh",
        }
    )


def holdout_metrics(forecasts: pl.DataFrame) -> dict[str, float]:
    """Metrics of forecasts (from `forecast`) against actuals and the naive baselines, at meter
    level and summed per region and hour (`region_*`), over the rows where the actual and every
    baseline are known, so all are scored on the same rows."""
    scored = pl.concat([forecasts, naive_forecasts(forecasts)], how="horizontal").filter(
        pl.all_horizontal(pl.col("energy_kwh", *NAIVE).is_not_null())
    )
    baselines = baseline_names(scored)
    if scored.height == 0:
        return {}
    metrics = _scored(scored, baselines)
    regions = (
        scored.with_columns(hour_utc=pl.col("interval_start_utc").dt.truncate("1h"))
        .group_by(pl.col("region").fill_null("unknown"), "hour_utc")
        .agg(pl.col("energy_kwh", "forecast_kwh", "p10_kwh", "p90_kwh", *baselines).sum())
    )
    metrics |= {f"region_{k}": v for k, v in _scored(regions, baselines).items()}
    metrics["rows"] = float(scored.height)
    return metrics


def _scored(frame: pl.DataFrame, baselines: tuple[str, ...]) -> dict[str, float]:
    return compare_with_baselines(
        frame["energy_kwh"].to_numpy(),
        frame["forecast_kwh"].to_numpy(),
        frame["p10_kwh"].to_numpy(),
        frame["p90_kwh"].to_numpy(),
        {b: frame[b].to_numpy() for b in baselines},
    )


def meter_skill(forecasts: pl.DataFrame) -> pl.DataFrame:
    """Per meter: the model's MAE, each baseline's, the best baseline's and the skill against
    it (vanilla counts for a meter where it forecast every scored row of the meter)."""
    scored = pl.concat([forecasts, naive_forecasts(forecasts)], how="horizontal").filter(
        pl.all_horizontal(pl.col("energy_kwh", *NAIVE).is_not_null())
    )
    baselines = (*NAIVE, *[VANILLA_BASELINE][: int(VANILLA_BASELINE in scored.columns)])
    error = {
        name: pl.when(pl.col(name).null_count() == 0)
        .then((pl.col(name) - pl.col("energy_kwh")).abs().mean())
        .alias(f"{name}_mae")
        for name in ("forecast_kwh", *baselines)
    }
    return (
        scored.group_by("meter_id")
        .agg(*error.values())
        .with_columns(
            best_baseline_mae=pl.min_horizontal(*[f"{b}_mae" for b in baselines]),
        )
        .with_columns(skill=1 - pl.col("forecast_kwh_mae") / pl.col("best_baseline_mae"))
        .sort("meter_id")
    )


CADENCES = ("daily", "weekly", "monthly")
"""How often a model is retrained: each training period's model forecasts the days of the period
and is trained only on the days before it."""


def period_start(day: date, cadence: str) -> date:
    """The first day of the training period holding `day` (weeks start on Mondays)."""
    if cadence == "daily":
        return day
    if cadence == "weekly":
        return day - timedelta(days=day.weekday())
    if cadence == "monthly":
        return day.replace(day=1)
    raise ValueError(f"unknown training cadence {cadence!r}: use one of {', '.join(CADENCES)}")


def period_starts(first_day: date, end_day: date, cadence: str) -> list[date]:
    """The training periods starting in [first_day, end_day)."""
    days = (first_day + timedelta(days=n) for n in range((end_day - first_day).days))
    return [day for day in days if period_start(day, cadence) == day]


@dataclass(frozen=True)
class FittedModel:
    """A model trained for the period starting `period_start`, and how it did on its held-out
    days."""

    booster: xgb.Booster
    vanilla: dict[str, vanilla_regression.MeterRegression]
    """Each meter's benchmark regression fitted on the same training rows: the first fallback
    and the yardstick."""
    band_scale: float
    """From `band_scale_for` on the held-out days."""
    holdout: pl.DataFrame
    """Held-out forecasts (from `forecast`) of the rows the model may run on."""
    metrics: dict[str, float]
    train_rows: int
    train_start: date
    holdout_start: date

    def forecast(self, inputs: pl.DataFrame, history: pl.DataFrame, name: str) -> pl.DataFrame:
        """`forecast` of `inputs` by this model, its vanilla regression where it may not run."""
        return forecast(self.predictor(), inputs, history, name, self.vanilla)

    def predictor(self) -> Predictor:
        return partial(predict, self.booster, band_scale=self.band_scale)


MIN_TRAIN_DAYS = 14


def fit_period(
    features: pl.DataFrame,
    history: pl.DataFrame,
    start: date,
    params: TrainingParams,
    issue_hour_utc: int,
) -> FittedModel | str:
    """Train on `features` of [start - train_days, start - holdout_days), sampled to
    `max_train_rows` with more weight on recent days (`ml.forecasting.training_window`), calibrate
    the band
    on and score the held-out days before `start`; `history` holds the days before the window.
    Each meter's vanilla regression is fitted on the same training rows.

    Returns why not when the window has fewer than `MIN_TRAIN_DAYS` days of training rows or no
    held-out rows: the period then has no model and its forecasts fall back.
    """
    train_start = start - timedelta(days=params.train_days)
    holdout_start = start - timedelta(days=params.holdout_days)
    window = features.filter((pl.col("day") >= train_start) & (pl.col("day") < start))
    sampled = recency_sample(
        window.filter(pl.col("day") < holdout_start),
        holdout_start,
        params.max_train_rows,
        params.seed,
        params.recency_half_life_days,
    )
    inputs = model_inputs(
        pl.concat([sampled, window.filter(pl.col("day") >= holdout_start)]),
        history,
        issue_hour_utc,
    )
    is_usable = usable(inputs) & pl.col("energy_kwh").is_not_null()
    training = inputs.filter(is_usable & (pl.col("day") < holdout_start))
    held_out = inputs.filter(is_usable & (pl.col("day") >= holdout_start))
    days = training["day"].n_unique()
    if days < MIN_TRAIN_DAYS:
        return (
            f"{days} days with usable training rows before {holdout_start} (needs {MIN_TRAIN_DAYS})"
        )
    if held_out.height == 0:
        return f"no usable held-out rows in [{holdout_start}, {start})"
    booster = train(training, params)
    regressions = vanilla_regression.fit(training)
    scale = band_scale_for(held_out["energy_kwh"].to_numpy(), predict(booster, held_out))
    holdout = forecast(
        partial(predict, booster, band_scale=scale), held_out, history, "candidate", regressions
    )
    return FittedModel(
        booster=booster,
        vanilla=regressions,
        band_scale=scale,
        holdout=holdout,
        metrics=holdout_metrics(holdout),
        train_rows=training.height,
        train_start=train_start,
        holdout_start=holdout_start,
    )


def forecast_rows(
    forecasts: pl.DataFrame,
    issued_at_utc: datetime,
    model_name: str,
    model_version: str | None,
) -> pa.Table:
    """Gold `forecasts` rows of `forecast`'s output."""
    return (
        forecasts.with_columns(
            issued_at_utc=pl.lit(issued_at_utc).cast(pl.Datetime("us", "UTC")),
            model_name=pl.lit(model_name),
            model_version=pl.lit(model_version, pl.String),
        )
        .select(GOLD_FORECASTS.columns)
        .to_arrow()
        .cast(GOLD_FORECASTS.schema)
    )


def region_rows(meter_rows: pa.Table) -> pa.Table:
    """Gold `region_forecasts`: meter forecasts summed per region and UTC hour (see the contract
    for why the summed band is conservative)."""
    frame = pl.from_arrow(meter_rows)
    assert isinstance(frame, pl.DataFrame)
    return (
        frame.with_columns(
            region=pl.col("region").fill_null("unknown"),
            hour_start_utc=pl.col("interval_start_utc").dt.truncate("1h"),
            is_fallback=pl.col("fallback_reason").is_not_null(),
        )
        .group_by("region", "hour_start_utc")
        .agg(
            pl.col("forecast_kwh", "p10_kwh", "p90_kwh").sum(),
            meters=pl.col("meter_id").n_unique().cast(pl.Int32),
            fallback_meters=pl.col("meter_id").filter("is_fallback").n_unique().cast(pl.Int32),
            issued_at_utc=pl.col("issued_at_utc").max(),
            model_version=pl.col("model_version").first(),
            day=pl.col("day").first(),
        )
        .sort("region", "hour_start_utc")
        .select(GOLD_REGION_FORECASTS.columns)
        .to_arrow()
        .cast(GOLD_REGION_FORECASTS.schema)
    )
