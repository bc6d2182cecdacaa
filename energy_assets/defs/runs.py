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
    runs = range_tags_per_run(partitions, start, end_inclusive, None)
    return None if runs is None else runs[0]


def range_tags_per_run(
    partitions: dg.PartitionsDefinition | None,
    start: date,
    end_inclusive: date,
    partitions_per_run: int | None,
) -> list[dict[str, str]] | None:
    """The range tags of the runs covering the days [start, end] in this partitioning, each of at
    most `partitions_per_run` consecutive partitions (None: one run for them all); None when the
    partitioning has no partition in the range, `[{}]` when it is unpartitioned."""
    if partitions is None:
        return [{}]
    if not isinstance(partitions, dg.TimeWindowPartitionsDefinition):
        return None
    window = dg.TimeWindow(
        datetime.combine(start, datetime.min.time(), tzinfo=UTC),
        datetime.combine(end_inclusive + timedelta(days=1), datetime.min.time(), tzinfo=UTC),
    )
    keys = partitions.get_partition_keys_in_time_window(window)
    if not keys:
        return None
    size = partitions_per_run or len(keys)
    return [
        {
            ASSET_PARTITION_RANGE_START_TAG: keys[i],
            ASSET_PARTITION_RANGE_END_TAG: keys[min(i + size, len(keys)) - 1],
        }
        for i in range(0, len(keys), size)
    ]
