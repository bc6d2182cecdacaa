"""Checks on gold forecasts beyond their contract: how much of a day fell back, and why; whether
tomorrow's forecast was issued on time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

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


ISSUE_GRACE = timedelta(hours=1)
"""How long after the issue hour a day-ahead forecast may still be running before it is late
(whole hours: the freshness schedule ticks hourly)."""


def due_target_day(now_utc: datetime, issue_hour_utc: int, grace: timedelta = ISSUE_GRACE) -> date:
    """The latest target day whose forecast must exist at `now_utc`: tomorrow once today's issue
    hour plus the grace has passed, else today (issued yesterday)."""
    return (now_utc - timedelta(hours=issue_hour_utc) - grace).date() + timedelta(days=1)


def forecast_issued(
    target_day: date, rows: int, now_utc: datetime, issue_hour_utc: int
) -> CheckOutcome:
    """Fails when the forecast of `target_day`, due by `now_utc`, has no row in gold."""
    issued = rows > 0
    deadline = (
        datetime.combine(target_day - timedelta(days=1), time(issue_hour_utc), tzinfo=UTC)
        + ISSUE_GRACE
    )
    return CheckOutcome(
        name="forecast_issued",
        passed=issued,
        description=(
            f"the forecast of {target_day} has {rows} rows"
            if issued
            else f"no forecast for {target_day}, due by {deadline:%Y-%m-%d %H:%M} UTC "
            f"(issue hour {issue_hour_utc:02d}:00 + {ISSUE_GRACE}); evaluated at "
            f"{now_utc:%Y-%m-%d %H:%M} UTC"
        ),
        failing_rows=0,
        metadata={
            "target_day": target_day.isoformat(),
            "rows": rows,
            "deadline_utc": deadline.isoformat(),
            "evaluated_at_utc": now_utc.isoformat(),
        },
    )
