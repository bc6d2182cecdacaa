"""Rolling-origin backtest: replay weekly training and day-ahead forecasting over history.

Each week is forecast by a model trained only on the days before it (`forecasting.fit_week`), with
the production rules: lags and levels as known at each day's issue time, fallbacks where the model
may not run. The result is scored at meter and region level against the naive baselines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

import numpy as np
import polars as pl

from ml.forecasting import (
    TrainingParams,
    fit_week,
    forecast,
    holdout_metrics,
    meter_skill,
    model_inputs,
    predict,
)

MODEL = "backtest"


@dataclass(frozen=True)
class Backtest:
    forecasts: pl.DataFrame
    """Every forecast row of the replayed weeks, with the actual `energy_kwh`."""
    metrics: dict[str, float]
    """Over all rows (model and fallbacks): meter level, `region_*`, `meters_positive_skill_pct`."""
    meters: pl.DataFrame
    """Per meter: MAE of the forecast and of each baseline, and the skill over the best."""
    weeks: pl.DataFrame
    """Per replayed week: whether a model was trained (or why not), its MAE and skill."""


def week_starts(first_day: date, end_day: date) -> list[date]:
    """The Mondays (training weeks start on Mondays) of [first_day, end_day)."""
    monday = first_day + timedelta(days=(7 - first_day.weekday()) % 7)
    return [monday + timedelta(days=n) for n in range(0, (end_day - monday).days, 7)]


def run_backtest(
    features: pl.DataFrame, params: TrainingParams, issue_hour_utc: int
) -> Backtest | str:
    """Replay every week of `features` (gold consumption features over the whole history).

    Returns why not when no week could be forecast at all.
    """
    if features.height == 0:
        return "no gold features to replay"
    first, last = features["day"].min(), features["day"].max()
    assert isinstance(first, date) and isinstance(last, date)
    parts, weeks = [], []
    for week in week_starts(first, last + timedelta(days=1)):
        fitted = fit_week(features, features, week, params, issue_hour_utc)
        targets = features.filter(
            (pl.col("day") >= week) & (pl.col("day") < week + timedelta(days=7))
        )
        if targets.height == 0:
            continue
        history = features.filter(pl.col("day") < week - timedelta(days=1))
        inputs = model_inputs(targets, history, issue_hour_utc)
        if isinstance(fitted, str):
            part = forecast(None, inputs, history, MODEL)
            weeks.append({"week_start": week, "trained": False, "note": fitted})
        else:
            part = forecast(partial(predict, fitted.booster), inputs, history, MODEL)
            scored = holdout_metrics(part)
            weeks.append(
                {
                    "week_start": week,
                    "trained": True,
                    "note": f"{fitted.train_rows} training rows",
                    "mae": scored.get("mae"),
                    "skill_vs_best_baseline": scored.get("skill_vs_best_baseline"),
                    "region_mape": scored.get("region_mape"),
                }
            )
        parts.append(part)
    if not parts:
        return "no week of the history has rows to forecast"
    forecasts = pl.concat(parts, how="diagonal_relaxed")
    meters = meter_skill(forecasts)
    metrics = holdout_metrics(forecasts)
    metrics["meters_positive_skill_pct"] = 100.0 * _share(meters["skill"] > 0)
    metrics["model_rows_pct"] = 100.0 * _share(forecasts["fallback_reason"].is_null())
    return Backtest(forecasts, metrics, meters, pl.DataFrame(weeks, infer_schema_length=None))


def _share(flags: pl.Series) -> float:
    values = flags.cast(pl.Float64).fill_null(0.0).to_numpy()
    return float(np.mean(values)) if len(values) else 0.0
