"""The day-ahead forecasts of target days from the lake: what the `gold/forecasts` asset writes
for each chunk of days and what the forecast endpoint answers for one, so both follow the same
rules.

The forecast of day D is issued on D-1 at the issue hour, by the model of the training period
holding D-1 (or a named fallback), from readings ended by the issue time and the weather known
then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from itertools import groupby
from typing import TYPE_CHECKING, NamedTuple

import polars as pl
import pyarrow as pa

from checks.contracts import (
    BRONZE_METER_READINGS,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_FORECASTS,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    SILVER_WEATHER,
    TableContract,
)
from checks.domain.frames import meter_key
from energy_assets.storage.lake import Lake, days_in
from energy_assets.transforms.cleaning import clean_readings
from ml.anomaly.sliding_read import SlidingRead
from ml.features import HISTORY_DAYS, build_consumption_features, issue_time_utc, lags
from ml.forecasting.baselines import PROFILE_FALLBACKS, fallback_forecasts, issue_instant
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
    """What the forecasts of the target days [low, high) read: gold `history` of the whole days
    before their issue days (`PROFILE_DAYS` before `low` to the day before the last issue day,
    scorecard-gated), silver `readings` of the `HISTORY_DAYS` days before `low` up to the last
    issue day (each day's issue time cuts them later) and the silver `weather` valid on them."""

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
    """The lake tables the forecasts of target days read, read once per chunk of days: four Delta
    reads for every target day were half the CPU of a range's forecasts. A chunk after the
    previous one reads only its new days (`SlidingRead`)."""

    def __init__(self, store: Lake) -> None:
        self._store = store
        self._features = SlidingRead(partial(_read, store, GOLD_CONSUMPTION_FEATURES, GOLD_COLUMNS))
        self._scorecard = SlidingRead(
            partial(_read, store, GOLD_QUALITY_SCORECARD, SCORECARD_COLUMNS)
        )
        self._readings = SlidingRead(partial(_read, store, SILVER_METER_READINGS, None))
        self._low = self._high = date.min
        self._held: DayInputs | None = None

    def hold(self, low: date, high: date) -> None:
        """Reads what the target days [low, high) need."""
        first, last_issue = low - timedelta(PROFILE_DAYS), high - timedelta(days=2)
        self._held = DayInputs(
            _gated(
                self._features.window(first, last_issue), self._scorecard.window(first, last_issue)
            ),
            self._readings.window(low - timedelta(HISTORY_DAYS), high - timedelta(days=1)),
            self._store.read(SILVER_WEATHER, low, high),
        )
        self._low, self._high = low, high

    def inputs(self, low: date, high: date) -> DayInputs:
        """The inputs of the target days [low, high), which must be the days held."""
        if self._held is None or (low, high) != (self._low, self._high):
            raise ValueError(f"[{low}, {high}) are not the days held [{self._low}, {self._high})")
        return self._held


def target_features(
    meters: pa.Table, low: date, high: date, issue_hour_utc: int, inputs: DayInputs
) -> pl.DataFrame:
    """Gold-feature rows of every installed meter's intervals of the target days [low, high),
    each day's built only from the readings ended by its own issue time and the weather known
    then (no reading of a target day itself)."""
    grid = clean_readings(BRONZE_METER_READINGS.schema.empty_table(), meters, low, high)
    features = build_consumption_features(
        grid.table,
        SILVER_METER_READINGS.schema.empty_table(),
        inputs.weather,
        meters,
        issue_hour_utc,
    )
    return _lags_known_at_issue(_frame(features), inputs.readings, issue_hour_utc)


def _lags_known_at_issue(
    features: pl.DataFrame, readings: pl.DataFrame, issue_hour_utc: int
) -> pl.DataFrame:
    """`features` with each lag read from silver `readings`: the same interval whole days
    earlier, where that reading had ended by the issue time of the row's own target day, else
    null. Target days issued at different times see different readings (the day before a
    target day is still unknown to the day itself), so the lags of several days cannot come from
    one history as `ml.features` reads them for one day."""
    ids = pl.concat(
        [
            features.get_column("meter_id").cast(pl.String),
            readings.get_column("meter_id").cast(pl.String),
        ]
    ).unique(maintain_order=True)
    key = meter_key(ids).cast(pl.Int64).alias("_meter")
    return features.with_columns(
        **lags(
            features.select(key, "interval_start_utc"),
            readings.select(key, "interval_start_utc", "energy_kwh", "interval_minutes"),
            known_by_utc=features.select(issue_instant(issue_hour_utc)).to_series(),
        )
    )


def _period_model(
    predictors: Predictors, model_name: str, period: str
) -> tuple[LoggedModel | None, Predictor | None, dict[str, MeterRegression] | None]:
    from ml.tracking import load_predictor, load_vanilla, model_for_partition

    if period not in predictors:
        found = model_for_partition(model_name, period)
        predictors[period] = (
            found,
            load_predictor(found.model_uri) if found else None,
            load_vanilla(found.run_id) if found else None,
        )
    return predictors[period]


def _own_day_profiles(forecasts: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """`forecasts` of several target days with each fallback of `fallback_forecasts` computed
    from its own day's history (the `PROFILE_DAYS` whole days before its issue day), as a
    forecast of that day alone computes it: profiles over the history of every day held would
    reach into later days. `forecast_days` gives `forecast` no history, so this is the only
    profile computed."""
    redo = pl.col("model_used").is_in(PROFILE_FALLBACKS)
    frame = forecasts.with_row_index("_order")
    again = frame.filter(redo).drop("forecast_kwh", "p10_kwh", "p90_kwh", "model_used")
    if again.height == 0:
        return forecasts
    redone = [
        fallback_forecasts(
            rows, _within(history, day - timedelta(PROFILE_DAYS), day - timedelta(1))
        )
        for (day,), rows in again.partition_by("day", as_dict=True).items()
    ]
    return pl.concat([frame.filter(~redo), *redone]).sort("_order").drop("_order")


def forecast_days(
    store: Lake,
    meters: pa.Table,
    low: date,
    high: date,
    issue_hour_utc: int,
    model_name: str,
    cadence: str,
    predictors: Predictors,
    conditions: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
    *,
    reads: DayAheadReads | None = None,
) -> pa.Table:
    """Gold forecast rows of the target days [low, high), each day by the model of the training
    period holding its issue day (the day before) or a fallback. The days are computed together
    (one feature build, one set of model inputs, one prediction per period model): per-day work
    was most of a range's cost. Each day still sees only what was known at its own issue time:
    lags cut at it (`target_features`), levels and profiles from whole days before its issue day
    (`model_inputs`), fallback profiles from its own window only (`_own_day_profiles`).

    `predictors` caches each period's model across the chunks of a run; `conditions` changes the
    target days' features first (a what-if); `reads` holds a run's chunk [low, high) (without
    it, the days' windows are read from `store`)."""
    if reads is None:
        reads = DayAheadReads(store)
        reads.hold(low, high)
    known = reads.inputs(low, high)
    target = target_features(meters, low, high, issue_hour_utc, known)
    if conditions is not None:
        target = conditions(target)
    inputs = model_inputs(target, known.history, issue_hour_utc)
    parts = []
    for period, days in groupby(
        days_in(low, high), key=lambda day: period_start(day - timedelta(days=1), cadence)
    ):
        model, predictor, regressions = _period_model(predictors, model_name, period.isoformat())
        rows = inputs.filter(pl.col("day").is_in(list(days)))
        # No history to profile here: every fallback row is computed again from its own day's
        # window by `_own_day_profiles`, so profiles of the whole history would be thrown away.
        forecasts = forecast(predictor, rows, known.history.clear(), model_name, regressions)
        version = model.version if model else None
        parts += [
            forecast_rows(day_rows, issue_time_utc(day, issue_hour_utc), model_name, version)
            for (day,), day_rows in _own_day_profiles(forecasts, known.history)
            .partition_by("day", as_dict=True, maintain_order=True)
            .items()
        ]
    return pa.concat_tables(parts) if parts else GOLD_FORECASTS.schema.empty_table()


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
    """Gold forecast rows of one target day (`forecast_days` of that day alone): what the
    forecast endpoint answers."""
    return forecast_days(
        store,
        meters,
        day,
        day + timedelta(days=1),
        issue_hour_utc,
        model_name,
        cadence,
        predictors,
        conditions,
    )
