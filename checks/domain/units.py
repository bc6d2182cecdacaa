"""Unit jumps: a meter's readings suddenly a thousand times larger or smaller (Wh sent as kWh)."""

from __future__ import annotations

import polars as pl

from checks.domain.frames import TableLike, _frame, _names, _observed, _require
from checks.result import CheckOutcome, stringify

# ---------------------------------------------------------------- unit jumps


def unit_jumps(readings: TableLike, ratio: float = 200.0) -> CheckOutcome:
    """Consecutive positive readings of a meter whose ratio exceeds `ratio` up or down.

    A source switching between Wh and kWh without saying so shows as a x1000 (or /1000) step
    between neighbours; real consumption does not move x200 in one interval except from near
    zero, which is why zeros, negatives and gaps are left out and neighbours are the previous
    positive reading of the same meter. Both edges of a mislabelled stretch are reported.
    """
    if ratio <= 1:
        raise ValueError("ratio must be > 1")
    frame = _frame(readings)
    _require(frame, ["meter_id", "interval_start_utc", "energy_kwh"], "unit_jumps")
    positive = (
        frame.filter(_observed(frame) & (pl.col("energy_kwh") > 0))
        .select("meter_id", "interval_start_utc", "energy_kwh")
        .sort("meter_id", "interval_start_utc")
        .with_columns(pl.col("energy_kwh").shift(1).over("meter_id").alias("previous_kwh"))
        .with_columns((pl.col("energy_kwh") / pl.col("previous_kwh")).alias("jump_ratio"))
        .select("meter_id", "interval_start_utc", "previous_kwh", "energy_kwh", "jump_ratio")
    )
    bad = (positive["jump_ratio"] > ratio) | (positive["jump_ratio"] < 1 / ratio)
    failing = positive.filter(bad.fill_null(False))
    named = _names(
        f"{m}@{stringify(t)}"
        for m, t in failing.select("meter_id", "interval_start_utc").iter_rows()
    )
    return CheckOutcome.from_mask(
        "unit_jumps",
        positive,
        bad,
        passed_description=f"no reading jumps more than x{ratio:g} from its neighbour",
        failed_description=f"{{failing}} readings jump more than x{ratio:g}: {named}",
        metadata={
            "ratio": float(ratio),
            "meters": _names(failing["meter_id"]),
            "jumps": named,
        },
    )
