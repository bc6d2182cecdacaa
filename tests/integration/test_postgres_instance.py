"""The Dagster instance on a real PostgreSQL server (as a multi-user deployment runs it).

The server is Debian's PostgreSQL, started in a temporary cluster on 127.0.0.1 and stopped
afterwards (the `postgres_port` fixture of conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from checks.contracts import SILVER_METER_READINGS
from energy_assets.storage.lake import Lake
from tests.integration.conftest import postgres_instance_yaml
from tests.integration.pipeline import materialize_days, materialize_dimensions

pytestmark = pytest.mark.integration

DAY = date(2024, 3, 4)


@pytest.fixture
def postgres_instance(
    lake: Lake, postgres_port: int, tmp_path: Path
) -> Iterator[dg.DagsterInstance]:
    home = tmp_path / "pg_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(postgres_instance_yaml(postgres_port))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance


def test_runs_and_materializations_are_recorded_in_postgres(
    lake: Lake, postgres_instance: dg.DagsterInstance
) -> None:
    assert type(postgres_instance.run_storage).__name__ == "PostgresRunStorage"
    materialize_dimensions(postgres_instance)
    result = materialize_days(postgres_instance, DAY, DAY)
    assert result.success
    assert lake.partition_days(SILVER_METER_READINGS) == [DAY]
    silver = dg.AssetKey(["silver", "meter_readings"])
    event = postgres_instance.get_latest_materialization_event(silver)
    assert event is not None
    assert event.asset_materialization is not None
    assert event.asset_materialization.partition == DAY.isoformat()
    statuses = postgres_instance.get_status_by_partition(
        silver, [DAY.isoformat()], dg.DailyPartitionsDefinition(start_date="2024-01-01")
    )
    assert statuses == {DAY.isoformat(): dg.AssetPartitionStatus.MATERIALIZED}
    records = postgres_instance.get_run_records()
    assert len(records) == 2
    assert all(record.dagster_run.is_success for record in records)
