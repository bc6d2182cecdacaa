"""Each meter's normalised load profile over a window of days.

A profile is the mean energy by local clock hour on working days and on non-working days
(weekends and public holidays), 48 values, divided by the meter's level (the mean of those 48):
two meters with the same habits but a tenfold difference in size get the same profile. Only
complete hours count (every interval of the hour received), so a gap never reads as low load.
A meter without at least `min_days` complete days of each kind, or with an hour never complete,
has no profile: it is returned with the reason rather than dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from checks.contracts.vocabularies import PROFILE_DAY_TYPES

HOURS = 24
PROFILE_LENGTH = HOURS * len(PROFILE_DAY_TYPES)
MIN_DAYS = 3
"""Complete days of each kind a meter needs for its profile to mean something."""
MIN_LEVEL_KWH = 1e-6
"""A meter whose mean hourly energy is below this has no shape to scale (empty or all zero)."""

REASON_TOO_FEW_DAYS = "too_few_days"
REASON_NO_LEVEL = "no_consumption"


@dataclass(frozen=True)
class Profiles:
    """Profiles of the meters that have one, and the meters that do not, with the reason."""

    meter_ids: list[str]
    shapes: npt.NDArray[np.float64]
    """(meters, 48): working-day hours 0-23, then non-working-day hours 0-23, level 1 on average."""
    level_kwh: npt.NDArray[np.float64]
    """Mean hourly energy of each meter over its profile hours, kWh."""
    working_days: npt.NDArray[np.int64]
    non_working_days: npt.NDArray[np.int64]
    without_profile: dict[str, str]
    """Meter id -> why it has no profile."""


def hourly_energy(rows: pl.DataFrame) -> pl.DataFrame:
    """Complete local hours of each meter: `meter_id`, `local_date`, `local_hour`,
    `is_working_day`, `energy_kwh`.

    `rows` are interval readings with `meter_id`, `local_date`, `local_hour`, `interval_minutes`,
    `energy_kwh` (null where missing), `is_weekend` and `is_holiday`, as in
    `gold/consumption_features`. On a DST day the repeated hour holds twice the intervals and
    is left out, like any hour whose interval count is not the hour's.
    """
    return (
        rows.with_columns(pl.col("meter_id").cast(pl.String))
        .group_by("meter_id", "local_date", "local_hour")
        .agg(
            pl.col("energy_kwh").sum(),
            pl.col("energy_kwh").count().alias("received"),
            pl.len().alias("intervals"),
            (60 // pl.col("interval_minutes").first()).alias("expected"),
            (~(pl.col("is_weekend").first() | pl.col("is_holiday").first())).alias(
                "is_working_day"
            ),
        )
        .filter(
            (pl.col("received") == pl.col("expected")) & (pl.col("intervals") == pl.col("expected"))
        )
        .select("meter_id", "local_date", "local_hour", "is_working_day", "energy_kwh")
    )


def meter_profiles(hours: pl.DataFrame, min_days: int = MIN_DAYS) -> Profiles:
    """The profiles of the meters in `hours` (the output of `hourly_energy`)."""
    means = (
        hours.group_by("meter_id", "is_working_day", "local_hour")
        .agg(pl.col("energy_kwh").mean())
        .with_columns(
            (
                pl.when(pl.col("is_working_day")).then(0).otherwise(HOURS)
                + pl.col("local_hour").cast(pl.Int64)
            ).alias("slot")
        )
    )
    coverage = (
        hours.group_by("meter_id")
        .agg(
            pl.col("local_date").filter(pl.col("is_working_day")).n_unique().alias("working"),
            pl.col("local_date").filter(~pl.col("is_working_day")).n_unique().alias("non_working"),
        )
        .join(means.group_by("meter_id").agg(pl.len().alias("slots")), on="meter_id")
        .with_columns(
            is_eligible=(pl.col("working") >= min_days)
            & (pl.col("non_working") >= min_days)
            & (pl.col("slots") == PROFILE_LENGTH)
        )
        .sort("meter_id")
    )
    eligible = coverage.filter("is_eligible")
    wide = (
        means.join(eligible.select("meter_id"), on="meter_id")
        .pivot(on="slot", index="meter_id", values="energy_kwh")
        .sort("meter_id")
    )
    matrix = (
        wide.select([str(i) for i in range(PROFILE_LENGTH)]).to_numpy().astype(np.float64)
        if len(wide)
        else np.zeros((0, PROFILE_LENGTH))
    )
    level = np.abs(matrix).mean(axis=1)
    has_level = level >= MIN_LEVEL_KWH
    without = {m: REASON_TOO_FEW_DAYS for m in coverage.filter(~pl.col("is_eligible"))["meter_id"]}
    without.update(
        {
            m: REASON_NO_LEVEL
            for m, ok in zip(eligible["meter_id"], has_level, strict=True)
            if not ok
        }
    )
    kept = eligible.filter(pl.Series(has_level))
    return Profiles(
        meter_ids=kept["meter_id"].to_list(),
        shapes=matrix[has_level] / level[has_level, None],
        level_kwh=level[has_level],
        working_days=kept["working"].to_numpy().astype(np.int64),
        non_working_days=kept["non_working"].to_numpy().astype(np.int64),
        without_profile=without,
    )
