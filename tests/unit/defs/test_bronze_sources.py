"""A source registered by one registry line is read by every bronze asset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest

from checks.contracts import BRONZE_METER_READINGS, BRONZE_METERS, BRONZE_WEATHER
from energy_assets.defs.lake import bronze
from energy_assets.defs.partitions import Partitioning
from energy_assets.defs.resources import LakeResource
from energy_assets.settings import DefinitionSettings
from energy_assets.sources import registry
from energy_assets.sources.base import Received, SourceRun
from energy_assets.storage.lake import Lake

DAY = date(2024, 3, 1)
RECEIVED_AT = datetime(2024, 3, 2, tzinfo=UTC)
BRONZE_METERS_ASSET, BRONZE_READINGS_ASSET, BRONZE_WEATHER_ASSET = bronze.build(
    Partitioning.from_settings(DefinitionSettings())
).assets
COMMON = {"source": "fake", "ingested_at_utc": RECEIVED_AT, "batch_id": "fake-1"}


@dataclass(frozen=True)
class FakeSource:
    """One meter at one location, four quarter-hours and two hours of weather on DAY, plus a
    reading of the day after (outside the window, so bronze must leave it out)."""

    name: str = "fake"
    api_tables: frozenset[str] = frozenset()

    def meters(self, run: SourceRun) -> Received:
        meter = {"meter_id": "F-1", "location_id": "LOC-F", "timezone": "UTC", **COMMON}
        rows = pa.Table.from_pylist([meter], schema=BRONZE_METERS.schema)
        return Received(self.name, {BRONZE_METERS.name: [rows]})

    def readings(self, run: SourceRun, start: date, end: date) -> Received:
        midnight = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
        instants = [midnight + timedelta(minutes=15 * i) for i in range(4)]
        instants.append(midnight + timedelta(days=1))
        rows = pa.Table.from_pylist(
            [
                {
                    "meter_id": "F-1",
                    "interval_start_utc": at,
                    "interval_minutes": 15,
                    "energy_kwh": 0.5,
                    "reported_unit": "kWh",
                    "day": at.date(),
                    **COMMON,
                }
                for at in instants
            ],
            schema=BRONZE_METER_READINGS.schema,
        )
        return Received(self.name, {BRONZE_METER_READINGS.name: [rows]})

    def weather(self, run: SourceRun, start: date, end: date) -> Received:
        midnight = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
        rows = pa.Table.from_pylist(
            [
                {
                    "location_id": "LOC-F",
                    "valid_at_utc": midnight + timedelta(hours=h),
                    "kind": "observation",
                    "temperature_c": 5.0 + h,
                    "day": DAY,
                    **COMMON,
                }
                for h in range(2)
            ],
            schema=BRONZE_WEATHER.schema,
        )
        return Received(self.name, {BRONZE_WEATHER.name: [rows]})


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lake:
    monkeypatch.setitem(registry.SOURCES, "fake", FakeSource())
    monkeypatch.setenv("ENERGY_SOURCES", "fake")
    monkeypatch.setenv("ENERGY_TRACK_EMISSIONS", "0")
    return Lake(str(tmp_path))


def test_a_source_added_to_the_registry_fills_every_bronze_table_of_its_window(
    lake: Lake,
) -> None:
    resources = {"lake": LakeResource(root=lake.root)}
    assert dg.materialize([BRONZE_METERS_ASSET], resources=resources).success
    result = dg.materialize(
        [BRONZE_READINGS_ASSET, BRONZE_WEATHER_ASSET],
        resources=resources,
        partition_key=DAY.isoformat(),
    )

    assert result.success
    assert all(check.passed for check in result.get_asset_check_evaluations())
    assert lake.read(BRONZE_METERS)["meter_id"].to_pylist() == ["F-1"]
    readings = lake.read(BRONZE_METER_READINGS)
    assert readings.num_rows == 4
    assert set(readings["source"].to_pylist()) == {"fake"}
    assert lake.read(BRONZE_WEATHER)["temperature_c"].to_pylist() == [5.0, 6.0]
