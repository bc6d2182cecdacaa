"""Lags that are current: each lag feature equals the reading of its lag day as silver holds it now.

A day rebuilt after the days that read it (late data, a backfill of an earlier range) leaves their
lags missing or stale until they are rebuilt too; this check names those days.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from checks.domain.frames import TableLike, _frame, _names, _require
from checks.result import CheckOutcome

TOLERANCE_KWH = 1e-9


def lags_current(features: TableLike, readings: TableLike, lag_days: Sequence[int]) -> CheckOutcome:
    """Fails on feature rows whose `lag_<N>d_kwh` differs from silver's energy at the same
    interval N days earlier (a lag missing while silver has the day, or a value silver no longer
    holds). `readings` must cover the lag days of every feature row; an interval it lacks counts
    as no reading (the lag must then be null)."""
    frame = _frame(features)
    lag_columns = [f"lag_{lag}d_kwh" for lag in lag_days]
    _require(frame, ["meter_id", "interval_start_utc", "day", *lag_columns], "lags_current")
    # Ids may come dictionary-encoded from either side: compare them as plain strings.
    meter = pl.col("meter_id").cast(pl.String)
    silver = _frame(readings).select(meter, "interval_start_utc", "energy_kwh")
    judged = frame.select(meter, "interval_start_utc", "day", *lag_columns)
    for lag in lag_days:
        earlier = silver.rename({"energy_kwh": f"_silver_{lag}"}).with_columns(
            pl.col("interval_start_utc") + pl.duration(days=lag)
        )
        judged = judged.join(
            earlier, on=["meter_id", "interval_start_utc"], how="left", maintain_order="left"
        )
    stale = pl.any_horizontal(
        [
            (pl.col(f"lag_{lag}d_kwh") - pl.col(f"_silver_{lag}")).abs().gt(TOLERANCE_KWH)
            | (pl.col(f"lag_{lag}d_kwh").is_null() != pl.col(f"_silver_{lag}").is_null())
            for lag in lag_days
        ]
    ).fill_null(False)
    shown = judged.with_columns(stale.alias("_stale"))
    stale_days = sorted(shown.filter(pl.col("_stale"))["day"].unique().to_list())
    return CheckOutcome.from_mask(
        "lags_current",
        shown,
        shown["_stale"],
        columns=["meter_id", "interval_start_utc", *lag_columns],
        passed_description="every lag equals silver's reading of its lag day",
        failed_description="{failing} of {rows} rows have lags missing or stale while silver "
        f"holds the lag day; rebuild the features of: {_names(stale_days)}",
        metadata={"stale_days": ", ".join(d.isoformat() for d in stale_days)},
    )
