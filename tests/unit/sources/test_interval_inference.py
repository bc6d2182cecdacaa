from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pyarrow.compute as pc
import pytest

from energy_assets.transforms.cleaning import clean_readings
from tests.unit.sources.test_landing import column, readings, write
from tests.unit.transforms.test_cleaning import meter, meters_table

DAY = date(2024, 1, 15)


def half_hourly(value_column: str, meter_id: str = "m1", hours: int = 24) -> str:
    lines = [f"meter_id,timestamp,{value_column}"]
    for half in range(hours * 2):
        hour, minute = divmod(half * 30, 60)
        lines.append(f"{meter_id},{DAY}T{hour:02d}:{minute:02d}:00Z,{1.0 + half % 3}")
    return "\n".join(lines) + "\n"


def test_a_plain_half_hourly_power_file_of_a_meter_without_interval_lands_at_30_minutes(
    tmp_path: Path,
) -> None:
    parsed = readings(write(tmp_path, "r.csv", half_hourly("power_kw")), intervals={})

    assert parsed.rejections == []
    assert parsed.rows.num_rows == 48
    assert set(column(parsed, "interval_minutes")) == {30}
    assert column(parsed, "energy_kwh")[:3] == [0.5, 1.0, 1.5]
    assert parsed.inferred_intervals == {"m1": 30}


def test_silver_puts_a_meter_without_declared_interval_on_its_readings_grid(
    tmp_path: Path,
) -> None:
    parsed = readings(write(tmp_path, "r.csv", half_hourly("power_kw")), intervals={})
    registry = meters_table(meter("m1", interval_minutes=None))

    silver = clean_readings(parsed.rows, registry, DAY, DAY + timedelta(days=1)).table

    assert silver.num_rows == 48
    assert not any(silver.column("is_missing").to_pylist())
    assert set(silver.column("interval_minutes").to_pylist()) == {30}


def test_half_hourly_readings_of_an_hourly_meter_are_summed_and_no_energy_is_lost(
    tmp_path: Path,
) -> None:
    parsed = readings(write(tmp_path, "r.csv", half_hourly("energy_kwh")), intervals={"m1": 60})
    registry = meters_table(meter("m1", interval_minutes=60))

    silver = clean_readings(parsed.rows, registry, DAY, DAY + timedelta(days=1)).table

    assert parsed.inferred_intervals == {"m1": 30}
    assert silver.num_rows == 24
    assert pc.sum(silver["energy_kwh"]).as_py() == pytest.approx(
        pc.sum(parsed.rows["energy_kwh"]).as_py()
    )
    assert silver.column("energy_kwh").to_pylist()[:2] == [3.0, 4.0]


def test_a_meter_whose_cadence_stays_ambiguous_is_quarantined_alone(tmp_path: Path) -> None:
    irregular = ["m2,2024-01-15T00:00Z,1", "m2,2024-01-15T00:07Z,1", "m2,2024-01-15T00:19Z,1"]
    text = half_hourly("power_kw") + "\n".join(irregular) + "\n"

    parsed = readings(write(tmp_path, "r.csv", text), intervals={})

    assert parsed.rows.num_rows == 48 and set(column(parsed, "meter_id")) == {"m1"}
    assert len(parsed.rejections) == 3
    assert all("no clear cadence" in r.reason for r in parsed.rejections)


def test_a_cadence_coarser_than_the_declared_interval_is_quarantined_not_squeezed_into_it(
    tmp_path: Path,
) -> None:
    parsed = readings(write(tmp_path, "r.csv", half_hourly("power_kw")), intervals={"m1": 15})

    assert parsed.rows.num_rows == 0
    assert parsed.inferred_intervals == {}
    assert {r.reason for r in parsed.rejections} == {
        "reading covers 30 minutes, coarser than meter m1's 15-minute grid "
        "(not put into one slot, not spread over a profile nobody measured)"
    }
