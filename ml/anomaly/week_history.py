"""What the detectors learn from a meter's history, learnt once a week.

Every detector judges a day against what is usual for the meter, learnt from its history: the
residual scales per slot, how high it usually reads per slot, its usual flat and zero runs, its
daily baseline, the scales of its day profiles and the unusual-day forest. Learnt again from
the 57 days before each judged day, they were most of a year's detection, for statistics one
more day hardly moves. They are learnt once per week from the history before its Monday (as
if the Monday were judged) and kept for its days, whichever range a run covers: a day is judged
the same in a backfill and in a daily run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from ml.anomaly.expectation import (
    BaselineFits,
    baseline_fits,
    daily_baseline,
    daily_consumption,
    residual_scales,
    slot_ranges,
    with_residual_z,
    with_slot_range,
)
from ml.anomaly.params import AnomalyParams
from ml.anomaly.rules import usual_bursts, usual_runs
from ml.anomaly.unusual_day import WeekForest, day_profiles, week_forest


@dataclass(frozen=True)
class WeekHistory:
    """What is usual for each meter, learnt from the history before `monday`; `daily` is the
    `daily_consumption` of those days as sent, which the day runs of the week's days read."""

    monday: date
    levels: pl.DataFrame
    scales: pl.DataFrame
    ranges: pl.DataFrame
    runs: pl.DataFrame
    bursts: pl.DataFrame
    fits: BaselineFits
    forest: WeekForest | None
    daily: pl.DataFrame

    def scored(self, window: pl.DataFrame) -> pl.DataFrame:
        """`window` (interval rows with the expectation) with `level_kwh`, `history_days`,
        `residual_z` (`with_residual_z`), `slot_low_kwh` and `slot_high_kwh` (`with_slot_range`)
        and the meter's
        usual runs (`usual_runs`) and bursts (`usual_bursts`)."""
        scored = with_residual_z(window, self.levels, self.scales)
        return (
            with_slot_range(scored, self.ranges)
            .join(self.runs, on="meter_id", how="left")
            .join(self.bursts, on="meter_id", how="left")
        )


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def without_excluded(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with the energy of its excluded intervals (`is_excluded`) null."""
    return frame.with_columns(
        energy_kwh=pl.when(pl.col("is_excluded")).then(None).otherwise(pl.col("energy_kwh"))
    )


def week_history(
    history: pl.DataFrame, monday: date, params: AnomalyParams, solar: frozenset[str]
) -> WeekHistory:
    """The `WeekHistory` of `monday` from `history`: the interval rows with the expectation
    (`ml.anomaly.history.expectation_from_clean_history`) of the `baseline_days + 1` days
    before it. Each statistic reads the history a detection of the Monday read: residual scales
    the clean days before the day before, slot ranges those days as sent, usual runs and bursts
    every day before as sent, the baseline the clean days from `baseline_days` to
    `drop_min_days` before."""
    frame = history.filter(pl.col("day") < monday).sort("meter_id", "interval_start_utc")
    clean = without_excluded(frame)
    scales_history = pl.col("day") < monday - timedelta(days=1)
    levels, scales = residual_scales(clean.filter(scales_history))
    fits = baseline_fits(
        daily_consumption(clean), monday, params.baseline_days, params.drop_min_days
    )
    daily = daily_consumption(frame)
    baselines = daily_baseline(daily, monday, fits, params.min_baseline_days, solar)
    profiles = day_profiles(clean, baselines)
    return WeekHistory(
        monday, levels, scales, slot_ranges(frame.filter(scales_history)), usual_runs(frame),
        usual_bursts(frame), fits, week_forest(profiles, params.min_baseline_days), daily,
    )  # fmt: skip
