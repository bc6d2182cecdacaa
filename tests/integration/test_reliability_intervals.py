"""A plain half-hourly `power_kw` export for a meter that declares no interval lands whole."""

from __future__ import annotations

from datetime import date

import dagster as dg
import pyarrow.compute as pc

from checks.contracts import BRONZE_QUARANTINE, SILVER_METER_READINGS
from energy_assets.storage.lake import Lake
from tests.integration.pipeline import materialize_days, materialize_dimensions

DAY = date(2024, 3, 4)


def test_a_half_hourly_power_file_without_any_interval_lands_on_a_30_minute_grid(
    lake: Lake, instance: dg.DagsterInstance, monkeypatch
) -> None:
    monkeypatch.setenv("ENERGY_SOURCES", "landing")
    for kind, text in (
        ("meters", "meter_id,location_id\nZONE-A,X\n"),
        (
            "readings",
            "meter_id,timestamp,power_kw\n"
            + "".join(
                f"ZONE-A,{DAY}T{h // 2:02d}:{30 * (h % 2):02d}:00Z,2000\n" for h in range(48)
            ),
        ),
    ):
        (lake.landing_root / kind).mkdir(parents=True, exist_ok=True)
        (lake.landing_root / kind / f"{kind}.csv").write_text(text)

    assert materialize_dimensions(instance).success
    result = materialize_days(instance, DAY, DAY)

    bronze = result.asset_materializations_for_node("bronze_meter_readings")[0]
    assert bronze.metadata["intervals_inferred_from_cadence"].value == {"ZONE-A": 30}
    silver = lake.read(SILVER_METER_READINGS)
    assert silver.num_rows == 48
    assert pc.sum(silver["energy_kwh"]).as_py() == 48 * 1000.0
    assert set(silver["interval_minutes"].to_pylist()) == {30}
    assert lake.read(BRONZE_QUARANTINE).num_rows == 0
