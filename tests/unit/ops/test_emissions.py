from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from checks.contracts import OPS_PIPELINE_EMISSIONS
from checks.schemas.validation import validate_table
from energy_assets.ops.emissions import Footprint, emissions_rows, measured, record
from energy_assets.storage.lake import Lake


def test_the_offline_tracker_measures_energy_and_emissions_on_the_configured_grid() -> None:
    with measured("FRA") as footprint:
        sum(i * i for i in range(200_000))

    assert footprint.country_iso_code == "FRA"
    assert footprint.energy_kwh > 0 and footprint.emissions_kgco2e > 0
    france_kg_per_kwh = footprint.emissions_kgco2e / footprint.energy_kwh
    assert france_kg_per_kwh == pytest.approx(0.056, rel=0.05)  # Ember 2023, as codecarbon has it


def test_recording_a_materialization_again_replaces_its_row_and_keeps_the_others(
    tmp_path: Path,
) -> None:
    lake = Lake(str(tmp_path))
    first = Footprint("FRA", duration_s=2.0, energy_kwh=1e-6, emissions_kgco2e=5.6e-8)
    window = (date(2024, 3, 30), date(2024, 3, 31))
    record(lake, emissions_rows(first, "run-1", "silver/meter_readings", window))
    record(lake, emissions_rows(first, "run-1", "gold/carbon_emissions", window))
    again = Footprint("FRA", 3.0, 2e-6, 1.1e-7, first.measured_at_utc)
    record(lake, emissions_rows(again, "run-1", "silver/meter_readings", window))

    rows = {r["asset_key"]: r for r in lake.read(OPS_PIPELINE_EMISSIONS).to_pylist()}
    assert set(rows) == {"silver/meter_readings", "gold/carbon_emissions"}
    assert rows["silver/meter_readings"]["energy_kwh"] == 2e-6
    assert validate_table(OPS_PIPELINE_EMISSIONS, lake.read(OPS_PIPELINE_EMISSIONS)).passed


def test_an_op_making_several_assets_shares_its_footprint_equally() -> None:
    shared = Footprint("FRA", 3.0, 3e-6, 1.5e-7).share(3)

    assert (shared.duration_s, shared.energy_kwh) == (1.0, 1e-6)
    assert shared.emissions_kgco2e == pytest.approx(5e-8)
