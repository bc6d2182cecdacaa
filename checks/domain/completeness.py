"""Completeness and duplicate keys: every expected interval is there, exactly once."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from checks.domain.frames import TableLike, _frame, _names, _require
from checks.result import CheckOutcome

# ---------------------------------------------------------------- completeness


def completeness(
    silver_readings: TableLike, min_pct: float = 90.0, *, expected_from_grid: bool = True
) -> CheckOutcome:
    """Share of present intervals per meter and UTC day; fails naming meter-days under `min_pct`.

    Silver writes explicit gap rows (`is_missing`), so present / rows is the completeness. With
    `expected_from_grid` (default) the denominator is at least the day's grid size (1440 /
    `interval_minutes`), so a silver that forgot its gap rows cannot look complete; turn it off
    to judge a deliberately partial window.
    """
    frame = _frame(silver_readings)
    _require(
        frame, ["meter_id", "interval_start_utc", "interval_minutes", "is_missing"], "completeness"
    )
    day = pl.col("day") if "day" in frame.columns else pl.col("interval_start_utc").dt.date()
    per_day = (
        frame.group_by("meter_id", day.alias("day"))
        .agg(
            pl.len().alias("rows"),
            (~pl.col("is_missing")).sum().alias("present_intervals"),
            (1440 // pl.col("interval_minutes").cast(pl.Int64).min()).alias("grid_intervals"),
        )
        .with_columns(
            expected_intervals=(
                pl.max_horizontal("rows", "grid_intervals")
                if expected_from_grid
                else pl.col("rows")
            )
        )
        .with_columns(
            completeness_pct=100.0 * pl.col("present_intervals") / pl.col("expected_intervals")
        )
        .sort("meter_id", "day")
        .select("meter_id", "day", "expected_intervals", "present_intervals", "completeness_pct")
    )
    bad = per_day["completeness_pct"] < min_pct  # judged before rounding for display
    per_day = per_day.with_columns(pl.col("completeness_pct").round(2))
    failing = per_day.filter(bad)
    worst = per_day["completeness_pct"].min()
    return CheckOutcome.from_mask(
        "completeness",
        per_day,
        bad,
        passed_description=f"every meter-day is at least {min_pct:g}% complete",
        failed_description=f"{{failing}} of {{rows}} meter-days are under {min_pct:g}% complete: "
        + _names(failing["meter_id"]),
        metadata={
            "min_pct": float(min_pct),
            "worst_pct": float(worst) if isinstance(worst, int | float) else None,
            "meters": _names(failing["meter_id"]),
        },
    )


# ---------------------------------------------------------------- duplicates


def duplicate_keys(table: TableLike, key: Sequence[str]) -> CheckOutcome:
    """Rows sharing a key; every copy counts as failing (nulls in a key compare equal).

    A key is the grain of a table: a duplicate double-counts energy in every sum downstream.
    """
    key = list(key)
    if not key:
        raise ValueError("duplicate_keys needs at least one key column")
    frame = _frame(table)
    _require(frame, key, "duplicate_keys")
    with_copies = frame.select(*key, pl.len().over(key).alias("copies"))
    bad = with_copies["copies"] > 1
    duplicated_keys = with_copies.filter(bad).select(key).unique().height
    return CheckOutcome.from_mask(
        "duplicate_keys",
        with_copies,
        bad,
        passed_description=f"({', '.join(key)}) is unique",
        failed_description=f"{{failing}} rows share {duplicated_keys} values of ({', '.join(key)})",
        metadata={"key": ", ".join(key), "duplicated_keys": duplicated_keys},
    )
