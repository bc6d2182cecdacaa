from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from checks.contracts import BRONZE_METER_READINGS, SILVER_METER_READINGS, TableContract
from energy_assets.storage.lake import Lake
from energy_assets.storage.retention import purge_bronze
from tests.unit.checks.test_schemas import table_of, valid_row

DAYS = [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)]


def _write(lake: Lake, contract: TableContract, day: date) -> None:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    row = valid_row(contract, meter_id="MTR-0001", interval_start_utc=start, day=day)
    lake.replace_window(contract, table_of(contract, row), day, day + timedelta(days=1))


def _days_on_disk(lake: Lake) -> set[str]:
    """The day folders still holding a data file (deleted or not in the Delta log)."""
    folder = Path(lake.uri(BRONZE_METER_READINGS))
    return {path.parent.name.removeprefix("day=") for path in folder.rglob("*.parquet")}


def test_old_bronze_days_that_silver_holds_are_deleted_and_vacuumed(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    for day in DAYS:
        _write(lake, BRONZE_METER_READINGS, day)
    for day in DAYS[:2]:
        _write(lake, SILVER_METER_READINGS, day)

    purged = purge_bronze(lake, keep_days=0, today=date(2024, 1, 10))

    # 01-03 is not in silver yet: its raw rows are all there is, so they stay.
    assert purged == {"bronze/meter_readings": ["2024-01-01", "2024-01-02"]}
    assert lake.partition_days(BRONZE_METER_READINGS) == [DAYS[2]]
    assert _days_on_disk(lake) == {"2024-01-03"}


def test_days_within_the_retention_period_are_kept(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    for table in (BRONZE_METER_READINGS, SILVER_METER_READINGS):
        _write(lake, table, DAYS[0])
    assert purge_bronze(lake, keep_days=30, today=date(2024, 1, 10)) == {}
    assert lake.partition_days(BRONZE_METER_READINGS) == [DAYS[0]]
