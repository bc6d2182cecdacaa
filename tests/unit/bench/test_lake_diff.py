"""`bench.lake_diff` on two tiny lakes: equal tables pass, one changed value is found."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

from bench.lake_diff import compare_lakes, main

AT = datetime(2024, 1, 1, tzinfo=UTC)


def _lake(root: Path, energy: list[float], ingested: datetime, reverse: bool = False) -> Path:
    """A lake with `silver/meter_readings` (keyed by meter and interval), rows out of key order
    (or reversed)."""
    table = pa.table(
        {
            "meter_id": ["M2", "M1", "M1"],
            "interval_start_utc": pa.array(
                [AT, datetime(2024, 1, 1, 1, tzinfo=UTC), AT], pa.timestamp("us", "UTC")
            ),
            "energy_kwh": energy,
            "ingested_at_utc": pa.array([ingested] * 3, pa.timestamp("us", "UTC")),
        }
    )
    rows = table.take([2, 1, 0]) if reverse else table
    write_deltalake(str(root / "silver" / "meter_readings"), rows)
    return root


def test_lakes_with_the_same_rows_in_another_order_and_run_instants_are_equal(
    tmp_path: Path,
) -> None:
    a = _lake(tmp_path / "a", [1.0, 2.0, 3.0], AT)
    b = _lake(tmp_path / "b", [1.0, 2.0, 3.0 * (1 + 1e-12)], datetime.now(UTC), reverse=True)

    (diff,) = compare_lakes(a, b)

    assert (diff.path, diff.status, diff.rows_a) == ("silver/meter_readings", "equal", 3)
    assert "ingested_at_utc" in diff.detail
    assert main([str(a), str(b)]) == 0


def test_one_differing_value_fails_naming_the_column(tmp_path: Path) -> None:
    a = _lake(tmp_path / "a", [1.0, 2.0, 3.0], AT)
    b = _lake(tmp_path / "b", [1.0, 2.0, 3.001], AT)

    (diff,) = compare_lakes(a, b)

    assert diff.status == "differs"
    assert "energy_kwh (1 rows)" in diff.detail
    assert main([str(a), str(b)]) == 1


def test_a_table_missing_on_one_side_is_a_difference(tmp_path: Path) -> None:
    a = _lake(tmp_path / "a", [1.0, 2.0, 3.0], AT)
    (tmp_path / "b").mkdir()

    (diff,) = compare_lakes(a, tmp_path / "b")

    assert (diff.status, diff.rows_a, diff.rows_b) == ("only in A", 3, None)
