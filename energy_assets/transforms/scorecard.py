"""The per-meter, per-day quality scorecard: what silver found, and whether the meter-day is usable.

It feeds dashboards and model gating, so `status` is a single word and `reasons` says why in
plain language.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from checks.contracts import GOLD_QUALITY_SCORECARD


@dataclass(frozen=True)
class ScorecardThresholds:
    """Completeness below `bad_below_pct` makes a meter-day bad, below `good_from_pct` degraded."""

    good_from_pct: float = 98.0
    bad_below_pct: float = 50.0


COUNTED_FLAGS = {
    "late_readings": "is_late",
    "estimated_intervals": "is_estimated",
    "negative_intervals": "is_negative",
    "flatline_intervals": "is_flatline",
    "unit_corrected_intervals": "is_unit_corrected",
    "realigned_intervals": "is_realigned",
}
REASON_WORDING = {
    "negative_intervals": "negative readings on a meter that cannot export",
    "flatline_intervals": "flatline intervals (stuck meter?)",
    "unit_corrected_intervals": "intervals sent in Wh, corrected to kWh",
    "quarantined_rows": "rows quarantined",
    "duplicates_removed": "duplicate readings removed",
    "late_readings": "readings arrived late",
    "estimated_intervals": "estimated readings",
    "realigned_intervals": "readings moved onto the interval grid",
}
READING_COLUMNS = ["meter_id", "day", "is_missing", "duplicates_removed", *COUNTED_FLAGS.values()]
"""What the scorecard reads of silver readings."""
QUARANTINE_COLUMNS = ["meter_id", "day"]
"""What the scorecard reads of the quarantine."""
DEGRADING = (
    "negative_intervals",
    "flatline_intervals",
    "unit_corrected_intervals",
    "quarantined_rows",
)


def quality_scorecard(
    readings: pa.Table,
    quarantine: pa.Table,
    thresholds: ScorecardThresholds | None = None,
) -> pa.Table:
    """Scorecard rows per meter and UTC day from silver readings and the days' quarantine rows
    (at least `READING_COLUMNS` and `QUARANTINE_COLUMNS`)."""
    thresholds = thresholds or ScorecardThresholds()
    frame = pl.from_arrow(readings)
    rejected = pl.from_arrow(quarantine)
    assert isinstance(frame, pl.DataFrame) and isinstance(rejected, pl.DataFrame)
    quarantined = (
        rejected.filter(pl.col("meter_id").is_not_null())
        .group_by("meter_id", "day")
        .agg(pl.len().cast(pl.Int32).alias("quarantined_rows"))
    )
    card = (
        frame.group_by("meter_id", "day")
        .agg(
            pl.len().cast(pl.Int32).alias("expected_intervals"),
            (~pl.col("is_missing")).sum().cast(pl.Int32).alias("received_intervals"),
            pl.col("is_missing").sum().cast(pl.Int32).alias("missing_intervals"),
            pl.col("duplicates_removed").sum().cast(pl.Int32),
            *[
                pl.col(flag).sum().cast(pl.Int32).alias(name)
                for name, flag in COUNTED_FLAGS.items()
            ],
        )
        # Ids may come Categorical (`Lake.read(encoded_strings=True)`): plain once per meter-day.
        .with_columns(pl.col("meter_id").cast(pl.String))
        .join(quarantined, on=["meter_id", "day"], how="left")
        .with_columns(
            quarantined_rows=pl.col("quarantined_rows").fill_null(0),
            completeness_pct=100.0 * pl.col("received_intervals") / pl.col("expected_intervals"),
        )
    )
    status = (
        pl.when(pl.col("completeness_pct") < thresholds.bad_below_pct)
        .then(pl.lit("bad"))
        .when(
            (pl.col("completeness_pct") < thresholds.good_from_pct)
            | pl.any_horizontal([pl.col(c) > 0 for c in DEGRADING])
        )
        .then(pl.lit("degraded"))
        .otherwise(pl.lit("good"))
    )
    missing_reason = (
        pl.when(pl.col("missing_intervals") > 0)
        .then(
            pl.format(
                "{} of {} intervals missing",
                pl.col("missing_intervals"),
                pl.col("expected_intervals"),
            )
        )
        .otherwise(None)
    )
    count_reasons = [
        pl.when(pl.col(name) > 0).then(pl.format(f"{{}} {wording}", pl.col(name))).otherwise(None)
        for name, wording in REASON_WORDING.items()
    ]
    card = card.with_columns(
        status=status,
        reasons=pl.concat_str([missing_reason, *count_reasons], separator="; ", ignore_nulls=True),
    ).sort("day", "meter_id")
    return (
        card.select(GOLD_QUALITY_SCORECARD.schema.names)
        .to_arrow()
        .cast(GOLD_QUALITY_SCORECARD.schema)
    )
