"""Flatlines: runs of identical consecutive readings that real consumption rarely produces."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from checks.domain.frames import ArrayLike, TableLike, _frame, _names, _observed, _require
from checks.result import CheckOutcome

DEFAULT_FLATLINE_RUN = 8
"""Identical consecutive values that make a flatline: 8 intervals = 2 h on a 15-minute meter.

Real consumption measured to the Wh rarely repeats exactly for two hours; a stuck register or a
forward-filled gap does."""


# ---------------------------------------------------------------- flatlines


def flatline_expr(
    value: str = "energy_kwh",
    by: str | Sequence[str] | None = "meter_id",
    min_run: int = DEFAULT_FLATLINE_RUN,
) -> pl.Expr:
    """Polars expression: the row belongs to a run of ≥ `min_run` identical non-null values.

    The frame must be sorted by `by` (one column or several) then time. Runs stop at a change of
    `by`, at a different value and at a null or NaN (so runs of gaps are never flatlines); exact
    zeros do count, a meter stuck at zero is as broken as one stuck at 3.2. Use inside
    `with_columns`.
    """
    if min_run < 2:
        raise ValueError("min_run must be at least 2")
    numbers = pl.col(value).cast(pl.Float64)
    v = pl.when(numbers.is_nan()).then(None).otherwise(numbers)
    run = pl.struct(pl.col(by), v).rle_id() if by is not None else v.rle_id()
    return (v.is_not_null() & (pl.len().over(run) >= min_run)).fill_null(False)


def flatline_mask(
    energy: ArrayLike, meter_id: ArrayLike | None = None, *, min_run: int = DEFAULT_FLATLINE_RUN
) -> np.ndarray:
    """Boolean mask of values belonging to a run of ≥ `min_run` identical non-null values.

    `energy` (and `meter_id`, which breaks runs between meters) must be sorted by meter then
    time; see `flatline_expr` for the rules. Meant for silver's `is_flatline`, so the flag and
    the `flatlines` check agree by construction.
    """
    values = pl.Series("v", energy, strict=False).cast(pl.Float64)
    columns = {"v": values}
    if meter_id is not None:
        meters = pl.Series("m", meter_id, strict=False)
        if meters.len() != values.len():
            raise ValueError("energy and meter_id differ in length")
        columns["m"] = meters
    frame = pl.DataFrame(columns)
    by = "m" if meter_id is not None else None
    return frame.select(flatline_expr("v", by, min_run)).to_series().to_numpy()


def flatlines(
    readings: TableLike, max_share: float = 0.25, *, min_run: int = DEFAULT_FLATLINE_RUN
) -> CheckOutcome:
    """Meters whose share of flatline intervals among present intervals exceeds `max_share`.

    Flatlines are recomputed from the values (not read from `is_flatline`) so the check also
    verifies silver's flagging. A meter stuck for more than `max_share` of the window is more
    likely broken than idle.
    """
    frame = _frame(readings)
    _require(frame, ["meter_id", "interval_start_utc", "energy_kwh"], "flatlines")
    flagged = frame.sort("meter_id", "interval_start_utc").with_columns(
        flatline_expr("energy_kwh", "meter_id", min_run).alias("_flat"),
        _observed(frame).alias("_present"),
        pl.struct("meter_id", pl.col("energy_kwh")).rle_id().alias("_run"),
    )
    per_meter = (
        flagged.group_by("meter_id", maintain_order=True)
        .agg(
            pl.col("_present").sum().alias("present_intervals"),
            pl.col("_flat").sum().alias("flatline_intervals"),
            pl.col("_run").filter(pl.col("_flat")).unique_counts().max().alias("longest_run"),
        )
        .with_columns(
            flatline_share=(
                pl.col("flatline_intervals") / pl.max_horizontal("present_intervals", 1)
            ),
            longest_run=pl.col("longest_run").fill_null(0),
        )
    )
    bad = per_meter["flatline_share"] > max_share  # judged before rounding for display
    per_meter = per_meter.with_columns(pl.col("flatline_share").round(4))
    failing = per_meter.filter(bad)
    return CheckOutcome.from_mask(
        "flatlines",
        per_meter,
        bad,
        passed_description=f"no meter is flat for more than {max_share:.0%} of its intervals",
        failed_description=f"{{failing}} of {{rows}} meters are flat for more than "
        f"{max_share:.0%} of their intervals: " + _names(failing["meter_id"]),
        metadata={
            "max_share": float(max_share),
            "min_run": min_run,
            "meters": _names(failing["meter_id"]),
        },
    )
