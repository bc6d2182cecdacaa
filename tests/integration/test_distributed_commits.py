"""Concurrent writers of one Delta table on object storage (an S3-compatible server on loopback),
as concurrent backfill runs on several workers are: writes of different days all land; writes of
the same day take turns, each replacing the day whole, none lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from checks.contracts import BRONZE_ANOMALY_LABELS
from energy_assets.settings import lake_storage_options
from energy_assets.storage.lake import Lake
from tests.unit.storage.test_lake import DAY1, counts_by_day, labels

pytestmark = pytest.mark.integration

ONE_DAY = timedelta(days=1)


def test_concurrent_writes_of_different_days_of_one_table_all_land(s3_root: str) -> None:
    lake = Lake(s3_root, lake_storage_options())
    lake.replace_window(BRONZE_ANOMALY_LABELS, labels(DAY1, 1), DAY1, DAY1 + ONE_DAY)
    days = [DAY1 + i * ONE_DAY for i in range(1, 7)]

    with ThreadPoolExecutor(max_workers=len(days)) as pool:
        list(
            pool.map(
                lambda d: lake.replace_window(BRONZE_ANOMALY_LABELS, labels(d, 2), d, d + ONE_DAY),
                days,
            )
        )

    assert counts_by_day(lake) == {DAY1: 1, **dict.fromkeys(days, 2)}
    assert lake.version(BRONZE_ANOMALY_LABELS) == len(days)


def test_concurrent_writes_of_the_same_day_serialise_each_replacing_it_whole(
    s3_root: str,
) -> None:
    lake = Lake(s3_root, lake_storage_options())
    lake.replace_window(BRONZE_ANOMALY_LABELS, labels(DAY1, 9), DAY1, DAY1 + ONE_DAY)
    sizes = [1, 2, 3, 4]

    with ThreadPoolExecutor(max_workers=len(sizes)) as pool:
        list(
            pool.map(
                lambda n: lake.replace_window(
                    BRONZE_ANOMALY_LABELS, labels(DAY1, n, magnitude=n), DAY1, DAY1 + ONE_DAY
                ),
                sizes,
            )
        )

    # Every write committed a version of its own, one after the other (a writer that lost the
    # race retried on top of the winner): none was overwritten by another.
    assert lake.version(BRONZE_ANOMALY_LABELS) == len(sizes)
    day = lake.read(BRONZE_ANOMALY_LABELS).to_pylist()
    magnitudes = {row["magnitude"] for row in day}
    assert len(magnitudes) == 1 and len(day) == magnitudes.pop()
