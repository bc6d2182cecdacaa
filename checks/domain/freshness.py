"""Freshness: the newest data is recent enough."""

from __future__ import annotations

from datetime import datetime, timedelta

from checks.domain.frames import TableLike, _frame
from checks.result import CheckOutcome, stringify

# ---------------------------------------------------------------- freshness


def latest_instant(table: TableLike, column: str = "interval_start_utc") -> datetime | None:
    """The newest value of an instant column (None for an empty table or all nulls)."""
    latest = _frame(table)[column].max()
    assert latest is None or isinstance(latest, datetime)
    return latest


def freshness(
    latest_instant_utc: datetime | None, now_utc: datetime, max_age: timedelta
) -> CheckOutcome:
    """The newest data is at most `max_age` old at `now_utc`; no data at all is stale.

    Instants must be timezone-aware: a naive instant is a bug upstream, not stale data.
    """
    for label, instant in (("latest_instant_utc", latest_instant_utc), ("now_utc", now_utc)):
        if instant is not None and instant.tzinfo is None:
            raise ValueError(f"freshness: {label} must be timezone-aware")
    age = None if latest_instant_utc is None else now_utc - latest_instant_utc
    passed = age is not None and age <= max_age
    if age is None:
        description = "no data at all"
    elif passed:
        description = f"newest data is {age} old (limit {max_age})"
    else:
        description = f"newest data is {age} old, more than the {max_age} allowed"
    return CheckOutcome(
        name="freshness",
        passed=passed,
        description=description,
        failing_rows=0,
        metadata={
            "latest_instant_utc": stringify(latest_instant_utc),
            "now_utc": stringify(now_utc),
            "age_seconds": None if age is None else age.total_seconds(),
            "max_age_seconds": max_age.total_seconds(),
        },
    )
