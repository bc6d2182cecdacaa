"""The day-ahead forecast of one target day from the lake: what the `gold/forecasts` asset writes
for each day and what the forecast endpoint answers, so both follow the same rules.

The forecast of day D is issued on D-1 at the issue hour, by the model of the training period
holding D-1 (or a named fallback), from readings ended by the issue time and the weather known
then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

import polars as pl
import pyarrow as pa

from checks.contracts import (
    BRONZE_METER_READINGS,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    SILVER_WEATHER,
    TableContract,
)
from energy_assets.storage.lake import Lake, within_days
from energy_assets.transforms.cleaning import clean_readings
from ml.anomaly.sliding_read import SlidingRead
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
SCORECARD_COLUMNS = ["meter_id", "day", "status"]

Predictors = dict[
    str, "tuple[LoggedModel | None, Predictor | None, dict[str, MeterRegression] | None]"
]
"""Each training period's registered model, its predictor and its vanilla regressions per meter,
loaded once per run."""


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _gated(features: pl.DataFrame, scorecard: pl.DataFrame) -> pl.DataFrame:
    return without_bad_days(
        features.sort(pl.col("meter_id").cast(pl.String), "interval_start_utc"), scorecard
    )


def gold_features(store: Lake, start: date | None, end: date | None) -> pl.DataFrame:
    """Gold features of [start, end) with the meter-days the quality scorecard marks bad blanked
    (`ml.forecasting.scorecard_gating`): they teach neither the model nor the levels and
    profiles.

    Rows come in one order (meter, interval) whatever order the lake's files return them in: a
    training samples rows by position, so the same lake content must give the same model."""
    return _gated(
        _frame(store.read(GOLD_CONSUMPTION_FEATURES, start, end, GOLD_COLUMNS)),
        _frame(store.read(GOLD_QUALITY_SCORECARD, start, end, SCORECARD_COLUMNS)),
    )


class DayInputs(NamedTuple):
    """What the forecast of one target day reads: gold `history` of the whole days before its
    issue day (`PROFILE_DAYS` back, scorecard-gated), silver `readings` of the `HISTORY_DAYS`
    days before it (the issue time cuts them later) and the silver `weather` valid on it."""

    history: pl.DataFrame
    readings: pl.DataFrame
    weather: pa.Table


def _read(
    store: Lake, table: TableContract, columns: list[str] | None, start: date, end: date
) -> pl.DataFrame:
    return _frame(store.read(table, start, end, columns))


def _within(frame: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    return frame.filter(pl.col("day").is_between(start, end, closed="left"))


class DayAheadReads:
    """The lake tables the forecasts of target days read, read once per chunk of days and sliced
    per day in memory: four Delta reads for every target day were half the CPU of a range's
    forecasts. A chunk after the previous one reads only its new days (`SlidingRead`). Each day
    gets exactly the windows a forecast of that day alone reads, so a range and a single day
    give the same rows."""

    def __init__(self, store: Lake) -> None:
        self._store = store
        self._features = SlidingRead(partial(_read, store, GOLD_CONSUMPTION_FEATURES, GOLD_COLUMNS))
        self._scorecard = SlidingRead(
            partial(_read, store, GOLD_QUALITY_SCORECARD, SCORECARD_COLUMNS)
        )
        self._readings = SlidingRead(partial(_read, store, SILVER_METER_READINGS, None))
        self._low = self._high = date.min
        self._held: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pa.Table] | None = None

    def hold(self, low: date, high: date) -> None:
        """Reads what the target days [low, high) need."""
        self._held = (
            self._features.window(low - timedelta(PROFILE_DAYS), high - timedelta(days=2)),
            self._scorecard.window(low - timedelta(PROFILE_DAYS), high - timedelta(days=2)),
            self._readings.window(low - timedelta(HISTORY_DAYS), high - timedelta(days=1)),
            self._store.read(SILVER_WEATHER, low, high),
        )
        self._low, self._high = low, high

    def inputs(self, day: date) -> DayInputs:
        """The inputs of target `day`, which must lie in the days held."""
        if self._held is None or not self._low <= day < self._high:
            raise ValueError(f"{day} is not in the days held [{self._low}, {self._high})")
        features, scorecard, readings, weather = self._held
        first, issue_day = day - timedelta(PROFILE_DAYS), day - timedelta(days=1)
        return DayInputs(
            _gated(_within(features, first, issue_day), _within(scorecard, first, issue_day)),
            _within(readings, day - timedelta(HISTORY_DAYS), day),
            within_days(weather, day, day + timedelta(days=1)),
        )


def target_features(
    meters: pa.Table, day: date, issue_hour_utc: int, inputs: DayInputs
) -> pl.DataFrame:
    """Gold-feature rows of every installed meter's intervals of `day`, built only from readings
    ended by the issue time and the weather known then (no reading of `day` itself)."""
    issued = issue_time_utc(day, issue_hour_utc)
    grid = clean_readings(
        BRONZE_METER_READINGS.schema.empty_table(), meters, day, day + timedelta(1)
    )
    history = inputs.readings.filter(
        pl.col("interval_start_utc") + pl.duration(minutes=pl.col("interval_minutes")) <= issued
    )
    features = build_consumption_features(
        grid.table, history.to_arrow(), inputs.weather, meters, issue_hour_utc
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
    *,
    reads: DayAheadReads | None = None,
) -> pa.Table:
    """Gold forecast rows of one target day, by the model of the training period holding its
    issue day (the day before) or a fallback. `predictors` caches each period's model across the
    days of a run; `conditions` changes the target day's features first (a what-if); `reads`
    holds a run's chunk of days (without it, the day's own windows are read from `store`)."""
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
    if reads is None:
        reads = DayAheadReads(store)
        reads.hold(day, day + timedelta(days=1))
    known = reads.inputs(day)
    history = known.history
    target = target_features(meters, day, issue_hour_utc, known)
    if conditions is not None:
        target = conditions(target)
    inputs = model_inputs(target, history, issue_hour_utc)
    forecasts = forecast(predictor, inputs, history, model_name, regressions)
    version = model.version if model else None
    return forecast_rows(forecasts, issue_time_utc(day, issue_hour_utc), model_name, version)
