from __future__ import annotations

from datetime import date

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from energy_assets.defs.runs import range_tags, range_tags_per_run

DAYS = dg.DailyPartitionsDefinition(start_date="2024-01-01")


def _ranges(runs: list[dict[str, str]] | None) -> list[tuple[str, str]]:
    assert runs is not None
    return [(r[ASSET_PARTITION_RANGE_START_TAG], r[ASSET_PARTITION_RANGE_END_TAG]) for r in runs]


def test_a_range_is_split_in_runs_of_at_most_n_consecutive_partitions() -> None:
    runs = range_tags_per_run(DAYS, date(2024, 3, 4), date(2024, 3, 17), 5)
    assert _ranges(runs) == [
        ("2024-03-04", "2024-03-08"),
        ("2024-03-09", "2024-03-13"),
        ("2024-03-14", "2024-03-17"),
    ]


def test_without_a_size_the_whole_range_is_one_run_as_range_tags_gives() -> None:
    runs = range_tags_per_run(DAYS, date(2024, 3, 4), date(2024, 3, 17), None)
    assert _ranges(runs) == [("2024-03-04", "2024-03-17")]
    assert runs == [range_tags(DAYS, date(2024, 3, 4), date(2024, 3, 17))]


def test_weekly_partitions_are_counted_as_weeks() -> None:
    weeks = dg.WeeklyPartitionsDefinition(start_date="2024-01-01")
    runs = range_tags_per_run(weeks, date(2024, 1, 7), date(2024, 2, 3), 2)
    assert _ranges(runs) == [("2024-01-07", "2024-01-14"), ("2024-01-21", "2024-01-28")]


def test_unpartitioned_assets_are_one_run_and_other_partitionings_none() -> None:
    assert range_tags_per_run(None, date(2024, 3, 4), date(2024, 3, 17), 5) == [{}]
    meters = dg.StaticPartitionsDefinition(["MTR-0001"])
    assert range_tags_per_run(meters, date(2024, 3, 4), date(2024, 3, 17), 5) is None
