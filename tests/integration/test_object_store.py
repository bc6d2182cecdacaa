"""The same code against object storage: an S3-compatible server (moto) on loopback."""

from __future__ import annotations

from datetime import date

from checks.contracts import (
    BRONZE_ANOMALY_LABELS,
    BRONZE_METERS,
    GOLD_CONSUMPTION_FEATURES,
    SILVER_METER_READINGS,
)
from energy_assets.settings import configured_lake
from tests.integration.pipeline import materialize_days, materialize_dimensions
from tests.unit.storage.test_lake import DAY1, DAY2, DAY3, DAY4, counts_by_day, labels

DAY = date(2024, 6, 3)


def test_a_day_materializes_end_to_end_on_object_storage(s3_root, lake, instance, monkeypatch):
    monkeypatch.setenv("ENERGY_LAKE_ROOT", s3_root)
    remote = configured_lake()
    assert not remote.is_local

    assert materialize_dimensions(instance).success
    assert materialize_days(instance, DAY, DAY).success

    assert remote.read(BRONZE_METERS).num_rows == 6
    assert remote.partition_days(SILVER_METER_READINGS) == [DAY]
    silver_rows = remote.read(SILVER_METER_READINGS).num_rows
    assert remote.row_count(GOLD_CONSUMPTION_FEATURES) == silver_rows > 0
    assert not lake.exists(SILVER_METER_READINGS)  # nothing went to the local lake


def test_replacing_a_day_on_object_storage_leaves_the_others(s3_root, monkeypatch) -> None:
    monkeypatch.setenv("ENERGY_LAKE_ROOT", s3_root)
    remote = configured_lake()
    remote.replace_window(BRONZE_ANOMALY_LABELS, [labels(DAY1, 2), labels(DAY2, 2)], DAY1, DAY3)
    remote.replace_window(BRONZE_ANOMALY_LABELS, labels(DAY2, 5), DAY2, DAY3)
    remote.replace_window(BRONZE_ANOMALY_LABELS, labels(DAY3, 1), DAY3, DAY4)
    assert counts_by_day(remote) == {DAY1: 2, DAY2: 5, DAY3: 1}
