"""Scoring forecasts held out from training: the model against the naive baselines (and
vanilla), at meter and region level on the same rows, and each meter's skill; the training's
held-out figures and the backtest's."""

from __future__ import annotations

import polars as pl

from ml.forecasting.baselines import NAIVE, VANILLA_BASELINE, baseline_names, naive_forecasts
from ml.forecasting.evaluation import compare_with_baselines


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
