"""`write_checked`: rows a blocking check refuses are quarantined, never committed, and a re-run
that no longer refuses them clears them from quarantine."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from checks.contracts import BRONZE_GRID_CARBON_INTENSITY, BRONZE_QUARANTINE
from energy_assets.defs.tables import write_checked
from energy_assets.storage.lake import Chunk, Lake
from tests.unit.defs.test_check_suites import INTENSITY, intensity_rows

DAY = date(2024, 3, 4)
WINDOW = (DAY, DAY + timedelta(days=1))


def write(store: Lake, *rows: tuple[int, int]) -> dict[str, object]:
    metadata, _results = write_checked(
        store,
        BRONZE_GRID_CARBON_INTENSITY,
        INTENSITY.fresh(),
        [Chunk(*WINDOW, intensity_rows(*rows))],
        WINDOW,
    )
    return metadata


def test_a_refused_row_is_quarantined_with_its_reason_and_the_rest_committed(
    tmp_path: Path,
) -> None:
    store = Lake(str(tmp_path))

    metadata = write(store, (0, 60), (1, 7))

    assert metadata["refused_rows"] == 1
    assert store.read(BRONZE_GRID_CARBON_INTENSITY)["interval_minutes"].to_pylist() == [60]
    (row,) = store.read(BRONZE_QUARANTINE).to_pylist()
    assert row["rejected_by"] == "checks:bronze/grid_carbon_intensity"
    assert row["reason"].startswith("refused by matches_contract: interval_minutes:isin(")
    assert row["day"] == DAY
    assert '"interval_minutes": 7' in row["record"]


def test_a_clean_rerun_clears_the_refused_rows_and_then_writes_no_quarantine(
    tmp_path: Path,
) -> None:
    store = Lake(str(tmp_path))
    write(store, (0, 60), (1, 7))

    write(store, (0, 60), (1, 60))
    assert store.read(BRONZE_QUARANTINE).num_rows == 0
    version = store.version(BRONZE_QUARANTINE)
    write(store, (0, 60), (1, 60))

    assert store.version(BRONZE_QUARANTINE) == version
    assert store.read(BRONZE_GRID_CARBON_INTENSITY).num_rows == 2
