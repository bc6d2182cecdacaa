"""Evidence, in a meter's own series, that a stretch of readings was sent in Wh labelled kWh.

Correcting a unit overrides what the source stated, so it rests on the meter itself, never on an
absolute ceiling: a grid zone drawing 40 GW is not a household sending Wh. A stretch is corrected
only when it is entered by a jump of about x1000 and left by a fall of about /1000, and its level
sits about 1000x above the meter's own level both in the day before it and in the day after it.
A stretch with only one edge (a meter whose unit changed for good, or whose series starts in the
wrong unit) is left as sent, for the `unit_jumps` check to report.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

WH_PER_KWH = 1000.0
LEVEL_TOLERANCE_LOG10 = 0.5
"""A stretch's level must be between ~316x and ~3,162x its neighbours' (log10 1000 +/- 0.5)."""
EDGE_MIN_LOG10 = 2.0
"""A step of at least x100 between neighbouring positive readings may open or close a stretch."""
MAX_STRETCH = timedelta(days=9)
"""Longer stretches are a changed unit, not a burst: reported by `unit_jumps`, never corrected."""
REFERENCE = timedelta(days=1)
"""How much of the meter's own series on each side of a stretch gives its level."""
CONTEXT_DAYS = (MAX_STRETCH + REFERENCE).days
"""Days of readings on each side of a window that judge every stretch touching the window the
same way whatever the window: a window's rows do not depend on how a range is cut."""

STRETCH_SCHEMA = pl.Schema(
    {
        "meter_key": pl.UInt32(),
        "start_utc": pl.Datetime("us", "UTC"),
        "end_utc": pl.Datetime("us", "UTC"),
    }
)


def day_peaks(series: pl.DataFrame) -> pl.DataFrame:
    """Each meter-day's peak in `series` (as `wh_stretches` reads it): `meter_key`, `day` (days
    since the epoch, UTC) and `peak`, the log10 of its highest positive mean power."""
    return (
        _positive(series)
        .group_by("meter_key", day=pl.col("at_utc").dt.epoch("d"))
        .agg(peak=pl.col("power_kw").max().log10())
    )


def wh_stretches(series: pl.DataFrame, peaks: pl.DataFrame | None = None) -> pl.DataFrame:
    """Stretches [`start_utc`, `end_utc`) of each meter sent in Wh as kWh.

    `series`: `meter_key`, `at_utc`, `power_kw` (mean power of each reading), `ingested_at_utc`
    (of several versions of a reading, the latest received is the evidence). Zeros, negatives
    and gaps carry no level and are left out. `peaks`: the `day_peaks` of `series` when already
    computed (a day's peaks, computed once, serve every window the day is evidence for).
    """
    suspects = _suspects(day_peaks(series) if peaks is None else peaks)
    if not suspects.len():
        return pl.DataFrame(schema=STRETCH_SCHEMA)
    ordered = (
        _positive(series.filter(pl.col("meter_key").is_in(suspects.implode())))
        .sort("ingested_at_utc")
        .unique(["meter_key", "at_utc"], keep="last")
        .sort("meter_key", "at_utc")
        .with_columns(level=pl.col("power_kw").log10())
        .with_columns(step=pl.col("level").diff().over("meter_key"))
    )
    candidates = (
        ordered.filter(pl.col("step").abs() >= EDGE_MIN_LOG10)
        .get_column("meter_key")
        .unique()
        .to_list()
    )
    found = [
        (key, start, end)
        for key in candidates
        for start, end in _meter_stretches(ordered.filter(pl.col("meter_key") == key))
    ]
    return pl.DataFrame(
        {
            "meter_key": [k for k, _, _ in found],
            "start_utc": [s for _, s, _ in found],
            "end_utc": [e for _, _, e in found],
        },
        schema=STRETCH_SCHEMA,
    )


def _positive(series: pl.DataFrame) -> pl.DataFrame:
    return series.filter(pl.col("power_kw").is_finite() & (pl.col("power_kw") > 0))


def _suspects(peaks: pl.DataFrame) -> pl.Series:
    """Meters one of whose days peaks x100 above or below the median of their daily peaks.

    A cheap screen (one hash aggregation, no sort) that every stretch passes: its day peaks
    about x1000 above the meter's usual peak, and a stretch of at most `MAX_STRETCH` is a minority
    of the days around any window (`CONTEXT_DAYS` on each side). `peaks` may hold a meter-day
    more than once (from series cut elsewhere than at midnight): its highest counts."""
    return (
        peaks.group_by("meter_key", "day")
        .agg(pl.col("peak").max())
        .filter(
            (pl.col("peak") - pl.col("peak").median().over("meter_key")).abs() >= EDGE_MIN_LOG10
        )
        .get_column("meter_key")
        .unique()
    )


def _meter_stretches(meter: pl.DataFrame) -> list[tuple[object, object]]:
    """Stretches of one meter's positive readings (sorted by time, with `level` and `step`)."""
    at = meter.get_column("at_utc").dt.epoch("us").to_numpy()
    level = meter.get_column("level").to_numpy()
    step = meter.get_column("step").fill_null(0.0).to_numpy()
    instants = meter.get_column("at_utc").to_list()
    ups = np.flatnonzero(step >= EDGE_MIN_LOG10)
    downs = np.flatnonzero(step <= -EDGE_MIN_LOG10)
    longest = MAX_STRETCH // timedelta(microseconds=1)
    reference = REFERENCE // timedelta(microseconds=1)
    stretches: list[tuple[object, object]] = []
    free_from = 0
    for down in downs:
        # The nearest opening edge whose stretch passes the level test, latest first.
        for up in ups[(ups >= free_from) & (ups < down)][::-1]:
            if at[down] - at[up] > longest:
                break
            before = level[(at >= at[up] - reference) & (at < at[up])]
            after = level[(at >= at[down]) & (at < at[down] + reference)]
            if before.size == 0 or after.size == 0:
                continue
            inside = float(np.median(level[up:down]))
            if _is_thousandfold(inside - float(np.median(before))) and _is_thousandfold(
                inside - float(np.median(after))
            ):
                stretches.append((instants[up], instants[down]))
                free_from = int(down)
                break
    return stretches


def _is_thousandfold(log10_ratio: float) -> bool:
    return abs(log10_ratio - np.log10(WH_PER_KWH)) <= LEVEL_TOLERANCE_LOG10


def in_stretches(frame: pl.DataFrame, stretches: pl.DataFrame, at: str) -> pl.Series:
    """Whether each row of `frame` (`meter_key` and the instant `at`, sorted by meter then
    instant) falls in one of `stretches` of its meter."""
    if stretches.height == 0:
        return pl.Series("is_unit_corrected", [False] * frame.height)
    matched = frame.select("meter_key", pl.col(at).alias("_at")).join_asof(
        stretches.sort("meter_key", "start_utc").rename({"start_utc": "_at"}),
        on="_at",
        by="meter_key",
        strategy="backward",
        check_sortedness=False,
    )
    return (
        (pl.col("end_utc").is_not_null() & (pl.col("_at") < pl.col("end_utc")))
        .alias("is_unit_corrected")
        .pipe(matched.select)
        .to_series()
    )
