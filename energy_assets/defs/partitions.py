"""The one daily partitioning of the lake: UTC days from `ENERGY_START_DATE`."""

from __future__ import annotations

from datetime import date

import dagster as dg

from energy_assets.settings import start_date

DAILY = dg.DailyPartitionsDefinition(start_date=start_date().isoformat(), timezone="UTC")
SINGLE_RUN = dg.BackfillPolicy.single_run()


def lookback(
    days: int, end_offset: int = 0, *, allow_missing: bool = True
) -> dg.TimeWindowPartitionMapping:
    """Depend on the upstream partitions from `days` before the downstream's through `end_offset`
    (0: the same one; -1: the one before), in the downstream's partitions. `allow_missing`
    tolerates upstream partitions before the start (lags reaching before the first day)."""
    return dg.TimeWindowPartitionMapping(
        start_offset=-days,
        end_offset=end_offset,
        allow_nonexistent_upstream_partitions=allow_missing,
    )


def run_window(context: dg.AssetExecutionContext) -> tuple[date, date]:
    """The half-open window of UTC days [start, end) this run materializes (one day or a range)."""
    window = context.partition_time_window
    return window.start.date(), window.end.date()
