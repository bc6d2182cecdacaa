"""Clean history: what a meter's expectations may learn from.

A meter's expectations (the model's level, profile and lags, the residual scales, the daily
baseline, the unusual-day profiles) are learnt from its own recent history. When that history
still holds an anomaly, the detector learns it as normal: two weeks after a burst of 1000x
readings the level is inflated and every normal day looks like a collapse; after a three-week
drop the level has sunk and the return to normal looks like a surge. So before anything is
learnt, the intervals that are not normal are left out (their energy, and every lag that reads
them, becomes null):
- what silver flagged (estimated, unit-corrected, flatline readings) and the meter-days the
  quality scorecard marks `bad` (`excluded_intervals`);
- what the rules would flag, found without any expectation so it can come first
  (`suspect_intervals`): bursts far above the meter's median level, spikes above both the
  slot's median and the neighbouring readings, flatlines, dropouts, and runs of low days against
  the median of the meter's previous days (drops and thefts).
Medians throughout, so one burst cannot move the reference it is judged against. The judged
day itself is never cleaned: detectors see what the meter sent.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from ml.anomaly.detection import with_expectation
from ml.anomaly.expectation import is_working_day
from ml.anomaly.params import AnomalyParams
from ml.anomaly.rules import SPIKE_WINDOW, dropout, flatline
from ml.forecasting.model import Predictor, expected_consumption

BURST_LEVEL_RATIO = 30.0
"""Readings this many times the meter's median reading are a burst (Wh as kWh, a glitch)."""
LOW_DAY_REFERENCE_DAYS = 56
"""Previous days whose median daily energy a day is judged low against (a drop shorter than
half of this never becomes its own reference)."""
MIN_REFERENCE_DAYS = 7
LAG_DAYS = {"lag_1d_kwh": 1, "lag_2d_kwh": 2, "lag_7d_kwh": 7}
"""Days back each lag column of gold features reads (`ml.forecasting.LAGS`)."""
KEY = ["meter_id", "interval_start_utc"]
SILVER_FLAGS = [
    "meter_id",
    "interval_start_utc",
    "day",
    "is_estimated",
    "is_unit_corrected",
    "is_flatline",
]
"""Silver columns `excluded_intervals` reads."""


def excluded_intervals(silver: pl.DataFrame, scorecard: pl.DataFrame) -> pl.DataFrame:
    """`meter_id`, `interval_start_utc` of the silver rows (`meter_id`, `interval_start_utc`,
    `day`, `is_estimated`, `is_unit_corrected`, `is_flatline`) that silver flagged, or whose
    meter-day the scorecard (`meter_id`, `day`, `status`) marks `bad`."""
    bad_days = scorecard.filter(pl.col("status") == "bad").select("meter_id", "day").unique()
    flagged = silver.filter(
        pl.col("is_estimated") | pl.col("is_unit_corrected") | pl.col("is_flatline")
    )
    on_bad_days = silver.join(bad_days, on=["meter_id", "day"])
    return pl.concat([flagged.select(KEY), on_bad_days.select(KEY)]).unique()


def _low_days(frame: pl.DataFrame, params: AnomalyParams) -> pl.DataFrame:
    """`meter_id`, `day` of runs of at least `drop_min_days` days below `drop_ratio` of the
    median daily energy of the meter's previous `LOW_DAY_REFERENCE_DAYS` complete days."""
    daily = (
        frame.group_by("meter_id", "day")
        .agg(
            energy_kwh=pl.when(pl.col("energy_kwh").null_count() == 0).then(
                pl.col("energy_kwh").sum()
            )
        )
        .sort("meter_id", "day")
    )
    reference = (
        pl.col("energy_kwh")
        .shift(1)
        .rolling_median(LOW_DAY_REFERENCE_DAYS, min_samples=MIN_REFERENCE_DAYS)
        .over("meter_id")
    )
    low = (pl.col("energy_kwh") < params.drop_ratio * pl.col("reference_kwh")) & (
        pl.col("reference_kwh") > 0
    )
    run = pl.struct(pl.col("meter_id").alias("meter"), pl.col("is_low").alias("low")).rle_id()
    return (
        daily.with_columns(reference_kwh=reference)
        .with_columns(is_low=low.fill_null(False))
        .with_columns(run_days=pl.len().over(run))
        .filter(pl.col("is_low") & (pl.col("run_days") >= params.drop_min_days))
        .select("meter_id", "day")
    )


def suspect_intervals(frame: pl.DataFrame, params: AnomalyParams) -> pl.DataFrame:
    """`meter_id`, `interval_start_utc` of the intervals of `frame` (gold features: every
    interval of the meters' days, gaps as null energy) a rule would flag, judged without any
    model: against the meter's median reading, its median for the local hour and day type, and
    the median of its neighbouring readings."""
    energy = pl.col("energy_kwh")
    ordered = frame.sort(KEY).with_columns(is_working_day=is_working_day())
    slots = ordered.group_by("meter_id", "local_hour", "is_working_day").agg(
        slot_kwh=energy.median()
    )
    levels = ordered.filter(energy > 0).group_by("meter_id").agg(median_kwh=energy.median())
    scored = (
        ordered.join(slots, on=["meter_id", "local_hour", "is_working_day"], how="left")
        .join(levels, on="meter_id", how="left")
        .with_columns(
            neighbours_kwh=energy.rolling_median(SPIKE_WINDOW, center=True, min_samples=3).over(
                "meter_id"
            ),
            expected_kwh=pl.col("slot_kwh"),
        )
    )
    burst = energy >= BURST_LEVEL_RATIO * pl.col("median_kwh")
    spike = (
        (energy >= params.spike_ratio * pl.col("slot_kwh"))
        & (energy >= params.spike_ratio * pl.col("neighbours_kwh"))
        & (pl.col("neighbours_kwh") > 0)
        & (pl.col("slot_kwh") > 0)
    )
    by_value = scored.filter((burst | spike).fill_null(False)).select(KEY)
    runs = [rule(scored, params).select(KEY) for rule in (flatline, dropout)]
    low = scored.join(_low_days(scored, params), on=["meter_id", "day"]).select(KEY)
    return pl.concat([by_value, *runs, low]).unique()


def clean_history(frame: pl.DataFrame, leave_out: pl.DataFrame) -> pl.DataFrame:
    """`frame` (gold features) with `is_excluded` set on the intervals of `leave_out` (`meter_id`,
    `interval_start_utc`), their energy null, and each lag null where it reads one of them."""
    marked = leave_out.select(KEY).unique().with_columns(is_excluded=pl.lit(True))
    cleaned = mark_excluded(frame, leave_out)
    for column, days in LAG_DAYS.items():
        source = marked.select(
            "meter_id",
            pl.col("interval_start_utc") + timedelta(days=days),
            pl.col("is_excluded").alias("reads_excluded"),
        )
        cleaned = (
            cleaned.join(source, on=KEY, how="left")
            .with_columns(
                pl.when(pl.col("reads_excluded")).then(None).otherwise(pl.col(column)).alias(column)
            )
            .drop("reads_excluded")
        )
    return cleaned.with_columns(
        energy_kwh=pl.when(pl.col("is_excluded")).then(None).otherwise(pl.col("energy_kwh"))
    )


def left_out(frame: pl.DataFrame, excluded: pl.DataFrame, params: AnomalyParams) -> pl.DataFrame:
    """`meter_id`, `interval_start_utc` of what no expectation learns from: the suspects of
    `frame` (gold features over the history judged) and the `excluded_intervals`."""
    return pl.concat([suspect_intervals(frame, params), excluded.select(KEY)]).unique()


def expectation_from_clean_history(
    predictor: Predictor | None,
    frame: pl.DataFrame,
    first: date,
    issue_hour_utc: int,
    model_name: str,
    leave_out: pl.DataFrame,
) -> pl.DataFrame:
    """`with_expectation` rows of the days of `frame` (gold features) from `first` on, the
    model's expectation learnt from `frame` with the `leave_out` intervals (`left_out`) left
    out; `energy_kwh` stays as the meter sent it."""
    cleaned = clean_history(frame, leave_out)
    rows = pl.col("day") >= first
    expected = expected_consumption(
        predictor, cleaned.filter(rows), cleaned.filter(~rows), issue_hour_utc, model_name
    )
    raw = frame.filter(rows).select(*KEY, raw_kwh=pl.col("energy_kwh"))
    restored = expected.join(raw, on=KEY, how="left").with_columns(energy_kwh=pl.col("raw_kwh"))
    return with_expectation(restored, model_name)


def mark_excluded(features: pl.DataFrame, leave_out: pl.DataFrame) -> pl.DataFrame:
    """`features` with `is_excluded`: whether the interval is in `leave_out` (`left_out`)."""
    marked = leave_out.select(KEY).unique().with_columns(is_excluded=pl.lit(True))
    return features.join(marked, on=KEY, how="left").with_columns(
        pl.col("is_excluded").fill_null(False)
    )
