"""A meter's reading interval inferred from the cadence of its timestamps in a file.

Many exports state no interval at all (a plain half-hourly `power_kw` file), or send readings
finer than the meter's declared grid without saying so. Each reading then covers the time to the
meter's next reading: the interval is the gap between consecutive timestamps that most of them
share. Where no such gap exists (a single reading, irregular timestamps, an unsupported length)
the cadence stays unknown and the rows keep whatever else declares their interval, if anything.
"""

from __future__ import annotations

import polars as pl

from checks.contracts import INTERVAL_MINUTES

MIN_SHARE = 0.5
"""The winning gap must separate at least this share of a meter's consecutive timestamps."""


def cadence_minutes(frame: pl.DataFrame, meter: str, instant: str) -> pl.DataFrame:
    """Per meter with a clear cadence: `meter_id`, `cadence_minutes` (one of `INTERVAL_MINUTES`).

    `frame` holds the readings' meter ids in `meter` and their UTC starts in `instant` (nulls,
    for unparsable timestamps, are ignored)."""
    gaps = (
        frame.select(pl.col(meter).alias("meter_id"), pl.col(instant).alias("at"))
        .drop_nulls()
        .unique()
        .sort("meter_id", "at")
        .with_columns(
            gap=(pl.col("at").diff().over("meter_id").dt.total_seconds() / 60.0),
        )
        .drop_nulls("gap")
    )
    counted = (
        gaps.group_by("meter_id", "gap")
        .agg(pl.len().alias("n"))
        .with_columns(share=pl.col("n") / pl.col("n").sum().over("meter_id"))
    )
    return (
        counted.sort("meter_id", "n", "gap", descending=[False, True, False])
        .group_by("meter_id", maintain_order=True)
        .first()
        .filter(
            (pl.col("share") >= MIN_SHARE)
            & pl.col("gap").is_in([float(m) for m in INTERVAL_MINUTES])
        )
        .select("meter_id", pl.col("gap").cast(pl.Int64).alias("cadence_minutes"))
    )
