"""Day-ahead consumption forecasts: one XGBoost model for every meter, with P10/P50/P90 outputs.

The model learns each interval's consumption relative to its meter's recent level (mean |kWh| per
interval over the `LEVEL_DAYS` whole days before the issue day), so meters of any size share it,
from lags known at issue time, the local calendar and the weather as forecast. One booster gives

the three quantiles (`reg:quantileerror`); the point forecast is the median.

Inputs are frames shaped like gold `consumption_features`; everything a row uses was known at its
target day's issue time (the day before, at the issue hour), in training as in production.

Inputs and design matrix: `ml.forecasting.inputs`; training periods: `ml.forecasting.periods`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pyarrow as pa

from checks.contracts import GOLD_FORECASTS, GOLD_REGION_FORECASTS
from ml.features import COOLING_BASE_C, HEATING_BASE_C
from ml.forecasting import vanilla as vanilla_regression
from ml.forecasting.baselines import (
    fallback_forecasts,
)
from ml.forecasting.inputs import (
    design_matrix,
    fallback_reasons,
    feature_names,
    model_inputs,
    usable,
)
from ml.forecasting.training_window import HALF_LIFE_DAYS

if TYPE_CHECKING:
    import xgboost as xgb  # imported when training or predicting, not when definitions load

QUANTILES = (0.1, 0.5, 0.9)
MODEL_NAME = "day_ahead_consumption"
"""The registered forecasting model (`MlflowResource.model_name`; a unit test keeps them equal)."""


@dataclass(frozen=True)
class TrainingParams:
    """XGBoost settings and the windows of one training."""

    train_days: int = 5 * 365
    """How far back training reaches: in effect all history (an expanding window), sampled to
    `max_train_rows` with more weight on recent days (`ml.forecasting.training_window`)."""
    recency_half_life_days: float = HALF_LIFE_DAYS
    holdout_days: int = 7
    num_boost_round: int = 80
    """The most rounds of a training from scratch; it stops earlier once `early_stopping_rounds`
    rounds in a row did not lower the pinball loss on the held-out days (typically 25-60)."""
    early_stopping_rounds: int = 5
    warm_start_rounds: int = 24
    """The most rounds a warm start adds to the previous period's booster (early-stopped alike)."""
    warm_starts: int = 0
    """Consecutive warm starts before a period trains from scratch again, so the trees of old
    periods do not pile up. Off by default: with early stopping a fit from scratch costs about
    what a warm start does (it_building backtest: 24 s of CPU for 14 weekly models either way)
    and scored better (12.17% MAPE against 12.89% with up to 3 warm starts)."""
    calibration_periods: int = 13
    """Periods of held-out days the band is calibrated on (`ml.forecasting.periods.train_period`),
    a quarter of weeks: a band's weekly coverage swings with the week (it_building: 36% to 100%),
    so a quantile of few weeks is too narrow more often than too wide. On it_building over the
    booster seeds 42-46: 8 weeks held 78.1% on average (76.0-80.3), 13 weeks 80.0% (77.7-82.0).
    A level adapted to the previous band's miss did worse (77.6% with one eighth of the gap per
    week): the weekly coverage is anti-persistent, so widening after a miss widens a calm week."""

    max_depth: int = 6
    learning_rate: float = 0.4
    subsample: float = 0.5
    """With `learning_rate`, `num_boost_round` and `early_stopping_rounds`: chosen for cost (a
    tree is built on the half of the rows sampled for it; a higher rate stops sooner). Against
    0.25, 0.8, 120 and 8 (README, "Cost of training"): a year of 50 simulated meters' trainings
    228 s of CPU against 408 s (held-out MAPE 18.7% against 18.2%); on four single weeks,
    next-week MAPE 19.7% against 19.0%; on `it_building` 12.72% against 12.70% MAPE, coverage
    79.9% against 78.4%."""
    min_child_weight: float = 5.0
    max_bin: int = 128
    """With `max_depth`, measured against cheaper trees on six weeks of a year of 50 simulated
    meters (README, "Cost of training"; next-held-out MAPE 18.35% with these): 64 bins cost the
    same CPU at 19.45%, depth 5 took more rounds (+44% CPU) at 18.83%; one multi-output tree per
    round (`multi_strategy`) saved 18% of the boosting at 18.71%."""
    max_train_rows: int = 100_000
    """Training rows beyond this are sampled down (seeded, recent days likelier): the booster's
    time grows with rows and rounds, its accuracy hardly does past a hundred thousand rows
    (measured on a year of 50 meters: 100,000 rows and 80 rounds score the held-out week as well
    as 300,000 and 150, in a third of the time), so a year of many meters trains fast."""
    nthread: int = 1
    """One thread per training: on a shared, loaded machine XGBoost's threads wait for each other
    at every step (measured under load 20 on 2 cores: two threads took 6-10 times the wall time
    and 15 times the CPU of one, spinning); parallelism comes from processes instead."""
    seed: int = 42

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def train(
    inputs: pl.DataFrame,
    params: TrainingParams,
    held_out: pl.DataFrame | None = None,
    base: xgb.Booster | None = None,
) -> xgb.Booster:
    """Fit the quantile booster on the usable rows of `inputs` that have a reading: from scratch
    (at most `num_boost_round` rounds), or continuing `base` (at most `warm_start_rounds` more).
    With `held_out` rows (later days, never trained on) boosting stops once their pinball loss
    has not improved for `early_stopping_rounds`, and the best round is kept."""
    import xgboost as xgb

    rows = _trainable(inputs)
    if rows.height == 0:
        raise ValueError("no usable training rows: no meter has enough history in the window")
    if rows.height > params.max_train_rows:
        rows = rows.sample(params.max_train_rows, seed=params.seed)
    matrix = xgb.QuantileDMatrix(
        design_matrix(rows),
        label=(rows["energy_kwh"] / rows["level_kwh"]).to_numpy(),
        feature_names=feature_names(),
        max_bin=params.max_bin,
        nthread=params.nthread,
    )
    evals, callbacks = [], []
    held = None if held_out is None else _trainable(held_out)
    if held is not None and held.height:
        evals = [
            (
                xgb.QuantileDMatrix(
                    design_matrix(held),
                    label=(held["energy_kwh"] / held["level_kwh"]).to_numpy(),
                    feature_names=feature_names(),
                    ref=matrix,
                    max_bin=params.max_bin,
                    nthread=params.nthread,
                ),
                "held_out",
            )
        ]
        callbacks = [
            xgb.callback.EarlyStopping(rounds=params.early_stopping_rounds, save_best=True)
        ]
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
        num_boost_round=params.num_boost_round if base is None else params.warm_start_rounds,
        evals=evals,
        callbacks=callbacks,
        xgb_model=base,
        verbose_eval=False,
    )


def _trainable(inputs: pl.DataFrame) -> pl.DataFrame:
    return inputs.filter(usable(inputs) & pl.col("energy_kwh").is_not_null())


def predict(booster: xgb.Booster, inputs: pl.DataFrame, band_scale: float = 1.0) -> np.ndarray:
    """(rows, 3) kWh: P10, P50, P90, sorted per row so the quantiles never cross, the P10 and P90
    moved `band_scale` times their distance from the median (see `band_scale_for`). The matrix is
    built on `TrainingParams.nthread` threads, like the training's, for the same reason."""
    import xgboost as xgb

    matrix = xgb.DMatrix(
        design_matrix(inputs), feature_names=feature_names(), nthread=TrainingParams.nthread
    )
    ratios = np.asarray(booster.predict(matrix)).reshape(inputs.height, len(QUANTILES))
    quantiles = np.sort(ratios, axis=1) * inputs["level_kwh"].to_numpy()[:, None]
    median = quantiles[:, 1:2]
    return median + band_scale * (quantiles - median)


TARGET_COVERAGE = 0.8
"""Share of readings a P10-P90 band should hold."""


def band_needs(actual: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """Per row, the factor on the band's distances from the median that would just make the
    P10-P90 band hold `actual` (0 on the median, inf where the band has no width on its side)."""
    low, median, high = quantiles[:, 0], quantiles[:, 1], quantiles[:, 2]
    below = actual < median
    distance = np.where(below, median - actual, actual - median)
    width = np.where(below, median - low, high - median)
    needed = np.divide(distance, width, out=np.full_like(distance, np.inf), where=width > 0)
    needed[distance == 0] = 0.0
    return needed


def band_scale_for(needs: np.ndarray, level: float = TARGET_COVERAGE) -> float:
    """The factor on the band's distances from the median that makes it hold `level` (by default
    `TARGET_COVERAGE`) of readings never trained on, from their `band_needs`: quantile boosters
    fit their training rows and come out too narrow on new days, so the band is calibrated
    (conformal prediction)."""
    return float(np.quantile(needs, level))


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
