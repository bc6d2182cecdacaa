"""Bronze retention: the raw meter ids of a pseudonymised lake live only in bronze, so deleting
old bronze days (once silver holds them) removes the last link between pseudonym and meter.

Delta's delete only hides rows from new versions; `vacuum` then removes the files themselves,
with no retention window, so time travel on these bronze tables ends at the purge.
"""

from __future__ import annotations

from datetime import date, timedelta

from checks.contracts import (
    BRONZE_ANOMALY_LABELS,
    BRONZE_METER_READINGS,
    BRONZE_QUARANTINE,
    SILVER_METER_READINGS,
)
from energy_assets.storage.lake import Lake

RAW_ID_TABLES = (BRONZE_METER_READINGS, BRONZE_QUARANTINE, BRONZE_ANOMALY_LABELS)
"""Day-partitioned bronze tables that hold raw meter ids. `bronze/meters` is kept: silver's
meter registry is rebuilt from it."""


def purge_bronze(lake: Lake, keep_days: int, today: date) -> dict[str, list[str]]:
    """Delete the days before `today - keep_days` from `RAW_ID_TABLES`, only days that
    `silver/meter_readings` already holds, and vacuum their files away. Returns the days purged
    per table."""
    cutoff = today - timedelta(days=keep_days)
    built = set(lake.partition_days(SILVER_METER_READINGS))
    purged: dict[str, list[str]] = {}
    for table in RAW_ID_TABLES:
        delta = lake.delta_table(table)
        days = [d.isoformat() for d in lake.partition_days(table) if d < cutoff and d in built]
        if delta is None or not days:
            continue
        delta.delete(predicate="day IN (" + ", ".join(f"'{d}'" for d in days) + ")")
        delta.vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
        purged[table.path] = days
    return purged
