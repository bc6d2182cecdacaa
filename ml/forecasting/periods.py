"""Training periods: the cadences, the period holding a day, and fitting the model of a period on
every day before it (`fit_period`, `FittedModel`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ml.forecasting import vanilla as vanilla_regression
from ml.forecasting.inputs import model_inputs, usable
from ml.forecasting.model import (
    Predictor,
    TrainingParams,
    band_needs,
    band_scale_for,
    forecast,
    predict,
    train,
)
from ml.forecasting.scoring import holdout_metrics
from ml.forecasting.training_window import recency_sample

if TYPE_CHECKING:
    import xgboost as xgb  # imported when training or predicting, not when definitions load

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
    """`band_scale_for` the pooled `band_needs` (at `TARGET_COVERAGE`)."""
    band_needs: tuple[np.ndarray, ...]
    """The band factors needed (`ml.forecasting.model.band_needs`) on the held-out days of this
    period and up to `calibration_periods` - 1 periods before, each by the model that forecast
    those days in earnest (see `fit_period`)."""
    holdout: pl.DataFrame
    """Held-out forecasts (from `forecast`) of the rows the model may run on."""
    metrics: dict[str, float]
    train_rows: int
    train_start: date
    holdout_start: date
    warm_starts: int = 0
    """How many periods in a row, up to this one, continued the previous period's booster (0:
    trained from scratch)."""

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
    previous: FittedModel | None = None,
) -> FittedModel | str:
    """`train_period` on the model inputs of `features` (gold features of the days before `start`;
    `history` holds the days before those): for one period. A run of many periods computes the
    inputs once (`model_inputs` over all its days) and calls `train_period` for each."""
    window = features.filter(pl.col("day") < start)
    return train_period(model_inputs(window, history, issue_hour_utc), start, params, previous)


def train_period(
    inputs: pl.DataFrame,
    start: date,
    params: TrainingParams,
    previous: FittedModel | None = None,
) -> FittedModel | str:
    """Train on the rows of `inputs` (`ml.forecasting.inputs.model_inputs` of gold features: each
    row's inputs as known at its own issue time, so one frame serves every period) of
    [start - train_days, start - holdout_days), sampled to `max_train_rows` with more weight on
    recent days (`ml.forecasting.training_window`), calibrate the band on and score the held-out
    days before `start`. Each meter's vanilla regression is fitted on the same training rows.

    The band is calibrated on the held-out days (`band_scale_for`): with `previous`, on how the
    previous period's model, which forecast those days in earnest at the same distance from its
    training as this model forecasts its own period, did on them, pooled with the periods before
    (`params.calibration_periods`): split conformal prediction over those weeks. The held-out
    days also stop the boosting, so this model's own errors on them would understate a
    forecast's and make the band too narrow.

    With `previous` and `params.warm_starts` above 0, the booster may continue the previous
    period's (trained on days before it, so before this one: no leakage) with a few rounds on
    this window instead of starting again, up to `params.warm_starts` periods in a row.

    Returns why not when the window has fewer than `MIN_TRAIN_DAYS` days of training rows or no
    held-out rows: the period then has no model and its forecasts fall back.
    """
    train_start = start - timedelta(days=params.train_days)
    holdout_start = start - timedelta(days=params.holdout_days)
    window = inputs.filter((pl.col("day") >= train_start) & (pl.col("day") < start))
    is_usable = usable(window) & pl.col("energy_kwh").is_not_null()
    training = recency_sample(
        window.filter(is_usable & (pl.col("day") < holdout_start)),
        holdout_start,
        params.max_train_rows,
        params.seed,
        params.recency_half_life_days,
    )
    held_out = window.filter(is_usable & (pl.col("day") >= holdout_start))
    days = training["day"].n_unique()
    if days < MIN_TRAIN_DAYS:
        return (
            f"{days} days with usable training rows before {holdout_start} (needs {MIN_TRAIN_DAYS})"
        )
    if held_out.height == 0:
        return f"no usable held-out rows in [{holdout_start}, {start})"
    base = previous if previous is not None and previous.warm_starts < params.warm_starts else None
    booster = train(training, params, held_out, None if base is None else base.booster)
    regressions = vanilla_regression.fit(training)
    actual = held_out["energy_kwh"].to_numpy()
    needs: tuple[np.ndarray, ...] = (band_needs(actual, predict(booster, held_out)),)
    if previous is not None:
        earnest = band_needs(actual, predict(previous.booster, held_out))
        needs = (*previous.band_needs[-(params.calibration_periods - 1) :], earnest)
    scale = band_scale_for(np.concatenate(needs))
    holdout = forecast(
        partial(predict, booster, band_scale=scale), held_out, training, "candidate", regressions
    )
    return FittedModel(
        booster=booster,
        vanilla=regressions,
        band_scale=scale,
        band_needs=needs,
        holdout=holdout,
        metrics=holdout_metrics(holdout),
        train_rows=training.height,
        train_start=train_start,
        holdout_start=holdout_start,
        warm_starts=0 if base is None else base.warm_starts + 1,
    )
