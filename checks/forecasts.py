"""Checks on gold forecasts beyond their contract: how much of a day fell back, and why."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from checks.result import CheckOutcome

MAX_FALLBACK_PCT = 20.0
"""Above this share of fallback rows a day's forecast is mostly naive: worth a look."""


def fallback_share(forecasts: pa.Table, max_pct: float = MAX_FALLBACK_PCT) -> CheckOutcome:
    """Fails when more than `max_pct` percent of a day's forecast rows come from a fallback rather
    than the model; the metadata counts rows per `fallback_reason` so the cause is named."""
    frame = pl.from_arrow(forecasts.select(["meter_id", "fallback_reason"]))
    assert isinstance(frame, pl.DataFrame)
    fallbacks = frame.filter(pl.col("fallback_reason").is_not_null())
    rows = frame.height
    share = 100.0 * fallbacks.height / rows if rows else 0.0
    reasons = fallbacks.group_by("fallback_reason").agg(
        rows=pl.len(), meters=pl.col("meter_id").n_unique()
    )
    listed = [
        {"reason": str(reason), "rows": int(count), "meters": int(meters)}
        for reason, count, meters in reasons.sort("rows", descending=True).iter_rows()
    ]
    passed = share <= max_pct
    summary = "; ".join(f"{r['reason']} ({r['meters']} meters)" for r in listed[:3])
    return CheckOutcome(
        name="fallback_share",
        passed=passed,
        description=(
            f"{share:.1f}% of forecast rows from a fallback (limit {max_pct:.0f}%)"
            + (f": {summary}" if summary else "")
        ),
        failing_rows=0 if passed else fallbacks.height,
        metadata={
            "rows": rows,
            "fallback_rows": fallbacks.height,
            "fallback_pct": share,
            "reasons": listed,
        },
    )
