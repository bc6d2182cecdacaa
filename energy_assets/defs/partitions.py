"""The one daily partitioning of the lake: UTC days from `ENERGY_START_DATE`."""

from __future__ import annotations

from datetime import date

import dagster as dg

from energy_assets.settings import start_date

DAILY = dg.DailyPartitionsDefinition(start_date=start_date().isoformat(), timezone="UTC")
SINGLE_RUN = dg.BackfillPolicy.single_run()


def history_mapping(days: int) -> dg.TimeWindowPartitionMapping:
    """Depend on the same day and the `days` before it (lags), tolerating days before the start."""
    return dg.TimeWindowPartitionMapping(
        start_offset=-days, end_offset=0, allow_nonexistent_upstream_partitions=True
    )


def run_window(context: dg.AssetExecutionContext) -> tuple[date, date]:
    """The half-open window of UTC days [start, end) this run materializes (one day or a range)."""
    window = context.partition_time_window
    return window.start.date(), window.end.date()
