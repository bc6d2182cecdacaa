"""Rolling-origin backtest: replay periodic training and day-ahead forecasting over history.

Each training period (a week by default) is forecast by a model trained only on the days before
it (`ml.forecasting.periods.train_period`, on model inputs computed once for every period, as
training does), or by the model training registered for it when that was trained on the same
lake with the same settings; with the production rules: lags, levels and profiles as known at
each day's issue time, fallbacks where the model may not run. The result is scored at meter
and region level against the naive baselines, overall (`Backtest`) and per day (`daily_scores`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from ml.forecasting.baselines import NAIVE, VANILLA_BASELINE, baseline_names, naive_forecasts
from ml.forecasting.evaluation import forecast_metrics, mae, mape, rmse
from ml.forecasting.inputs import LEVEL_DAYS, model_inputs
from ml.forecasting.model import Predictor, TrainingParams, forecast
from ml.forecasting.periods import FittedModel, period_starts, train_period
from ml.forecasting.scoring import holdout_metrics, meter_skill
from ml.forecasting.vanilla import MeterRegression

CHUNK_DAYS = 7
"""Target days forecast at a time by default (the asset sizes its chunks by the fleet)."""
ONE_DAY = timedelta(days=1)

MODEL = "backtest"
FORECAST = "forecast"
"""`forecaster` of the backtested forecast (the model, or its fallback where it could not run)."""
SCORES = {
    "level": pl.String,
    "entity_id": pl.String,
    "region": pl.String,
    "day": pl.Date,
    "forecaster": pl.String,
    "intervals": pl.Int32,
    "actual_kwh": pl.Float64,
    "forecast_kwh": pl.Float64,
    "mae_kwh": pl.Float64,
    "rmse_kwh": pl.Float64,
    "mape_pct": pl.Float64,
    "pinball_kwh": pl.Float64,
    "coverage_pct": pl.Float64,
    "fallback_intervals": pl.Int32,
}
"""Columns of `daily_scores`."""
SCORED_COLUMNS = (
    "meter_id",
    "region",
    "day",
    "interval_start_utc",
    "energy_kwh",
    "forecast_kwh",
    "p10_kwh",
    "p90_kwh",
    "model_used",
    "fallback_reason",
    "lag_1d_kwh",
    "lag_2d_kwh",
    "lag_7d_kwh",
    "vanilla_kwh",
    "vanilla_p10_kwh",
    "vanilla_p90_kwh",
    "vanilla_used",
)
"""The columns of a backtested forecast kept for scoring (`holdout_metrics`, `meter_skill`,
`daily_scores`): the inputs are dropped once forecast."""


@dataclass(frozen=True)
class Backtest:
    forecasts: pl.DataFrame
    """Every forecast row of the replayed periods, with the actual `energy_kwh` (the
    `SCORED_COLUMNS`)."""
    metrics: dict[str, float]
    """Over all rows (model and fallbacks): meter level, `region_*`, `meters_positive_skill_pct`."""
    meters: pl.DataFrame
    """Per meter: MAE of the forecast and of each baseline, and the skill over the best."""
    periods: pl.DataFrame
    """Per replayed training period: whether a model was trained (or why not), its MAE and
    skill, and the training's cost (`train_wall_s`, `train_cpu_s`: process CPU, all threads)."""


REUSED = "registered model version"
"""How a period's `note` starts when training's registered model forecast it."""


@dataclass(frozen=True)
class Registered:
    """A period's model as training registered it, forecasting the period instead of a new fit."""

    predictor: Predictor
    vanilla: dict[str, MeterRegression]
    version: str


def run_backtest(
    features: pl.DataFrame,
    params: TrainingParams,
    issue_hour_utc: int,
    cadence: str = "weekly",
    first_period: date | None = None,
    registered: Callable[[date], Registered | None] | None = None,
    chunk_days: int = CHUNK_DAYS,
) -> Backtest | str:
    """`replay` of `features` (gold consumption features over the whole history, in memory)."""
    if features.height == 0:
        return "no gold features to replay"
    first, last = features["day"].min(), features["day"].max()
    assert isinstance(first, date) and isinstance(last, date)

    def read(start: date, end: date) -> pl.DataFrame:
        return features.filter(pl.col("day").is_between(start, end, closed="left"))

    return replay(
        read, first, last, params, issue_hour_utc, cadence, first_period, registered, chunk_days
    )


def replay(
    read: Callable[[date, date], pl.DataFrame],
    first: date,
    last: date,
    params: TrainingParams,
    issue_hour_utc: int,
    cadence: str = "weekly",
    first_period: date | None = None,
    registered: Callable[[date], Registered | None] | None = None,
    chunk_days: int = CHUNK_DAYS,
) -> Backtest | str:
    """Replay every training period (of the `cadence`) of the history [first, last] that
    `read(start, end)` gives (gold consumption features of [start, end), one order: meter,
    interval), or only those starting on or after `first_period` (the earlier days then serve as
    training history only; the `params.calibration_periods` periods just before it are trained,
    not scored, so that the band of the first scored period is calibrated on as many weeks of
    earnest forecasts as any later one, see `train_period`).

    A period's target days are read and forecast `chunk_days` at a time, each chunk with the
    days its levels and profiles need, and only the columns scoring reads are kept: memory
    follows the chunk, not the history, when every period's model is `registered`. A period
    trained here reads the model inputs of the days before it (`_TrainingInputs`).

    `registered` gives the model training registered for a period start, when it was trained on
    these features with these `params`: that period is forecast by it instead of a new fit (the
    same model, as training follows the same rules; `note` says which version). A period after a
    reused one trains without the previous period's calibration (see `train_period`).

    Returns why not when no period could be forecast at all.
    """
    end = last + timedelta(days=1)
    starts = period_starts(max(first, first_period or first), end, cadence)
    if not starts:
        return f"no {cadence} training period starts within {first}..{last}"
    training = _TrainingInputs(read, first, issue_hour_utc)
    parts, periods = [], []
    previous: FittedModel | None = None
    earlier = period_starts(first, starts[0], cadence)
    for start in earlier[max(0, len(earlier) - params.calibration_periods) :]:
        warmed = train_period(training.before(start), start, params, previous)
        previous = warmed if isinstance(warmed, FittedModel) else None
    for start, stop in zip(starts, [*starts[1:], end], strict=True):
        wall, cpu = time.perf_counter(), time.process_time()
        reused = None if registered is None else registered(start)
        fitted = reused or train_period(training.before(start), start, params, previous)
        cost = {
            "train_wall_s": time.perf_counter() - wall,
            "train_cpu_s": time.process_time() - cpu,
        }
        previous = fitted if isinstance(fitted, FittedModel) else None
        # The period's model forecasts the days issued during it: one day later than the period.
        # Read up to the first target day, where the last chunk of the period before ended: a
        # sliding read (the asset's) then reads only the new days.
        history = read(start - timedelta(days=LEVEL_DAYS + 1), start + ONE_DAY).filter(
            pl.col("day") < start
        )
        targets_end = min(stop, last) + ONE_DAY
        lows = [start + timedelta(days=n) for n in range(1, (targets_end - start).days, chunk_days)]
        chunked = [
            _forecast(
                fitted,
                _target_inputs(
                    read, low, min(low + timedelta(days=chunk_days), targets_end), issue_hour_utc
                ),
                history,
            )
            for low in lows
        ]
        part = pl.concat(chunked, how="diagonal_relaxed") if chunked else pl.DataFrame()
        if part.height == 0:
            continue
        if isinstance(fitted, str):
            periods.append({"period_start": start, "trained": False, "note": fitted, **cost})
        else:
            if isinstance(fitted, Registered):
                note, warm_starts = f"{REUSED} {fitted.version}", 0
            else:
                note, warm_starts = f"{fitted.train_rows} training rows", fitted.warm_starts
            scored = holdout_metrics(part)
            shown = (
                "mae",
                "skill_vs_best_baseline",
                "coverage_p10_p90",
                "region_mape",
                "region_best_baseline_mape",
            )
            periods.append(
                {
                    "period_start": start,
                    "trained": True,
                    "note": note,
                    "warm_starts": warm_starts,
                    **{m: scored.get(m) for m in shown},
                    "meters_positive_skill_pct": 100.0 * _share(meter_skill(part)["skill"] > 0),
                    **cost,
                }
            )
        parts.append(part)
    if not parts:
        return "no training period of the history has rows to forecast"
    forecasts = pl.concat(parts, how="diagonal_relaxed")
    meters = meter_skill(forecasts)
    metrics = holdout_metrics(forecasts)
    metrics["meters_positive_skill_pct"] = 100.0 * _share(meters["skill"] > 0)
    metrics["model_rows_pct"] = 100.0 * _share(forecasts["fallback_reason"].is_null())
    return Backtest(forecasts, metrics, meters, pl.DataFrame(periods, infer_schema_length=None))


def _target_inputs(
    read: Callable[[date, date], pl.DataFrame], low: date, high: date, issue_hour_utc: int
) -> pl.DataFrame:
    """Model inputs of the target days [low, high), as known at each day's issue time, from those
    days and the whole days their levels and profiles reach back to."""
    frame = read(low - timedelta(days=LEVEL_DAYS + 2), high)
    return model_inputs(frame.filter(pl.col("day") >= low), frame, issue_hour_utc)


def _forecast(
    fitted: Registered | FittedModel | str, targets: pl.DataFrame, history: pl.DataFrame
) -> pl.DataFrame:
    """The period model's forecast of `targets` (its fallbacks where it has none), with only the
    columns the scores read."""
    if isinstance(fitted, str):
        part = forecast(None, targets, history, MODEL)
    elif isinstance(fitted, Registered):
        part = forecast(fitted.predictor, targets, history, MODEL, fitted.vanilla)
    else:
        part = fitted.forecast(targets, history, MODEL)
    return part.select(c for c in SCORED_COLUMNS if c in part.columns)


class _TrainingInputs:
    """Model inputs of every day before a period trained here (not `registered`), computed for
    each day once: a later period adds only the days since the previous one trained. Rows in
    one order (meter, interval), as a training samples rows by position."""

    def __init__(
        self, read: Callable[[date, date], pl.DataFrame], first: date, issue_hour_utc: int
    ) -> None:
        self._read, self._issue_hour_utc = read, issue_hour_utc
        self._high = first
        self._held: pl.DataFrame | None = None

    def before(self, start: date) -> pl.DataFrame:
        if self._held is None or self._high < start:
            new = _target_inputs(self._read, self._high, start, self._issue_hour_utc)
            held = new if self._held is None else pl.concat([self._held, new], how="vertical")
            self._held = held.sort("meter_id", "interval_start_utc", maintain_order=True)
            self._high = start
        return self._held


def _share(flags: pl.Series) -> float:
    values = flags.cast(pl.Float64).fill_null(0.0).to_numpy()
    return float(np.mean(values)) if len(values) else 0.0


def daily_scores(forecasts: pl.DataFrame) -> pl.DataFrame:
    """Rows of gold `forecast_backtest` (without the run columns): per meter and per region
    (hourly sums), target day and forecaster (the forecast, each naive baseline, and vanilla
    where it forecast every interval of the day), the scored intervals, actual and forecast kWh
    and the forecaster's errors; pinball loss, P10-P90 coverage and fallback intervals (region
    level: hours where a meter fell back) for the forecast only. Scored on the rows where the
    actual and each naive baseline are known, like `holdout_metrics`, so forecasters compare on
    the same rows."""
    frame = pl.concat([forecasts, naive_forecasts(forecasts)], how="horizontal")
    baselines = (*NAIVE, *[VANILLA_BASELINE][: int(VANILLA_BASELINE in frame.columns)])
    scored = frame.filter(
        pl.all_horizontal(pl.col("energy_kwh", *NAIVE).is_not_null())
    ).with_columns(
        region=pl.col("region").fill_null("unknown"),
        is_fallback=pl.col("fallback_reason").is_not_null(),
    )
    summed = ["energy_kwh", "forecast_kwh", "p10_kwh", "p90_kwh", *baselines]
    regions = (
        scored.group_by("region", pl.col("interval_start_utc").dt.truncate("1h"))
        .agg(
            *[pl.when(pl.col(c).null_count() == 0).then(pl.col(c).sum()).alias(c) for c in summed],
            pl.col("is_fallback").any(),
            pl.col("day").first(),
        )
        .with_columns(level=pl.lit("region"), entity_id=pl.col("region"))
    )
    meters = scored.with_columns(level=pl.lit("meter"), entity_id=pl.col("meter_id"))
    columns = ["level", "entity_id", "region", "day", *summed, "is_fallback"]
    rows = []
    both = pl.concat([meters.select(columns), regions.select(columns)], how="diagonal_relaxed")
    for (level, entity, region, day), group in both.group_by("level", "entity_id", "region", "day"):
        actual = group["energy_kwh"].to_numpy()
        common = {"level": level, "entity_id": entity, "region": region, "day": day}
        common |= {"intervals": group.height, "actual_kwh": float(actual.sum())}
        metrics = forecast_metrics(
            actual, group["forecast_kwh"], group["p10_kwh"], group["p90_kwh"]
        )
        rows.append(
            common
            | {
                "forecaster": FORECAST,
                "forecast_kwh": float(group["forecast_kwh"].sum()),
                "mae_kwh": metrics["mae"],
                "rmse_kwh": metrics["rmse"],
                "mape_pct": metrics["mape"],
                "pinball_kwh": metrics["pinball"],
                "coverage_pct": metrics["coverage_p10_p90"],
                "fallback_intervals": int(group["is_fallback"].sum()),
            }
        )
        for baseline in baseline_names(group):
            values = group[baseline].to_numpy()
            rows.append(
                common
                | {
                    "forecaster": baseline,
                    "forecast_kwh": float(values.sum()),
                    "mae_kwh": mae(actual, values),
                    "rmse_kwh": rmse(actual, values),
                    "mape_pct": mape(actual, values),
                }
            )
    frame = pl.DataFrame(rows, schema=SCORES)
    return frame.with_columns(pl.col("mape_pct").fill_nan(None)).sort(
        "level", "entity_id", "day", "forecaster"
    )
