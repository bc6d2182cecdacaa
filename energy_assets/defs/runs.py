"""Run tags shared by the CLI and the sensors: which days a run of a partitioned job covers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)


def range_tags(
    partitions: dg.PartitionsDefinition | None, start: date, end_inclusive: date
) -> dict[str, str] | None:
    """Range tags covering the days [start, end] in this partitioning; None when it has none."""
    if partitions is None:
        return {}
    if not isinstance(partitions, dg.TimeWindowPartitionsDefinition):
        return None
    window = dg.TimeWindow(
        datetime.combine(start, datetime.min.time(), tzinfo=UTC),
        datetime.combine(end_inclusive + timedelta(days=1), datetime.min.time(), tzinfo=UTC),
    )
    keys = partitions.get_partition_keys_in_time_window(window)
    if not keys:
        return None
    return {ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]}
