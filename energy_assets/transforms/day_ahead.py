"""The day-ahead forecast of one target day from the lake: what the `gold/forecasts` asset writes
for each day and what the forecast endpoint answers, so both follow the same rules.

The forecast of day D is issued on D-1 at the issue hour, by the model of the training period
holding D-1 (or a named fallback), from readings ended by the issue time and the weather known
then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

from checks.contracts import (
    BRONZE_METER_READINGS,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    SILVER_WEATHER,
)
from energy_assets.storage.lake import Lake
from energy_assets.transforms.cleaning import clean_readings
from ml.features import HISTORY_DAYS, build_consumption_features, issue_time_utc
from ml.forecasting.inputs import GOLD_COLUMNS, LEVEL_DAYS, model_inputs
from ml.forecasting.model import Predictor, forecast, forecast_rows
from ml.forecasting.periods import period_start
from ml.forecasting.scorecard_gating import without_bad_days

if TYPE_CHECKING:
    from ml.forecasting.vanilla import MeterRegression
    from ml.tracking import LoggedModel  # mlflow is imported only when a forecast needs it

PROFILE_DAYS = LEVEL_DAYS + 1
"""Whole days of gold history a forecast reads (levels and fallback profiles)."""

Predictors = dict[
    str, "tuple[LoggedModel | None, Predictor | None, dict[str, MeterRegression] | None]"
]
"""Each training period's registered model, its predictor and its vanilla regressions per meter,
loaded once per run."""


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def gold_features(store: Lake, start: date | None, end: date | None) -> pl.DataFrame:
    """Gold features of [start, end) with the meter-days the quality scorecard marks bad blanked
    (`ml.forecasting.scorecard_gating`): they teach neither the model nor the levels and
    profiles.

    Rows come in one order (meter, interval) whatever order the lake's files return them in: a
    training samples rows by position, so the same lake content must give the same model."""
    features = _frame(store.read(GOLD_CONSUMPTION_FEATURES, start, end, GOLD_COLUMNS)).sort(
        pl.col("meter_id").cast(pl.String), "interval_start_utc"
    )
    scorecard = _frame(
        store.read(GOLD_QUALITY_SCORECARD, start, end, ["meter_id", "day", "status"])
    )
    return without_bad_days(features, scorecard)


def target_features(store: Lake, meters: pa.Table, day: date, issue_hour_utc: int) -> pl.DataFrame:
    """Gold-feature rows of every installed meter's intervals of `day`, built only from readings
    ended by the issue time and the weather known then (no reading of `day` itself)."""
    issued = issue_time_utc(day, issue_hour_utc)
    grid = clean_readings(
        BRONZE_METER_READINGS.schema.empty_table(), meters, day, day + timedelta(1)
    )
    history = _frame(store.read(SILVER_METER_READINGS, day - timedelta(HISTORY_DAYS), day)).filter(
        pl.col("interval_start_utc") + pl.duration(minutes=pl.col("interval_minutes")) <= issued
    )
    features = build_consumption_features(
        grid.table,
        history.to_arrow(),
        store.read(SILVER_WEATHER, day, day + timedelta(1)),
        meters,
        issue_hour_utc,
    )
    return _frame(features)


def forecast_day(
    store: Lake,
    meters: pa.Table,
    day: date,
    issue_hour_utc: int,
    model_name: str,
    cadence: str,
    predictors: Predictors,
    conditions: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> pa.Table:
    """Gold forecast rows of one target day, by the model of the training period holding its
    issue day (the day before) or a fallback. `predictors` caches each period's model across the
    days of a run; `conditions` changes the target day's features first (a what-if)."""
    from ml.tracking import load_predictor, load_vanilla, model_for_partition

    period = period_start(day - timedelta(days=1), cadence).isoformat()
    if period not in predictors:
        found = model_for_partition(model_name, period)
        predictors[period] = (
            found,
            load_predictor(found.model_uri) if found else None,
            load_vanilla(found.run_id) if found else None,
        )
    model, predictor, regressions = predictors[period]
    history = gold_features(store, day - timedelta(PROFILE_DAYS), day)
    history = history.filter(pl.col("day") < day - timedelta(days=1))
    target = target_features(store, meters, day, issue_hour_utc)
    if conditions is not None:
        target = conditions(target)
    inputs = model_inputs(target, history, issue_hour_utc)
    forecasts = forecast(predictor, inputs, history, model_name, regressions)
    version = model.version if model else None
    return forecast_rows(forecasts, issue_time_utc(day, issue_hour_utc), model_name, version)
