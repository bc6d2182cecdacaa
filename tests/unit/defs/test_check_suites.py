from __future__ import annotations

from datetime import UTC, date, datetime

import dagster as dg
import pyarrow as pa

from checks.contracts import BRONZE_GRID_CARBON_INTENSITY, SILVER_METER_READINGS
from checks.result import CheckOutcome
from energy_assets.defs.check_suites import (
    SILVER_READINGS_CHECKS,
    CheckSuite,
    check_result,
    combine,
    matches_contract,
)
from energy_assets.defs.tables import key


def outcome(passed: bool, failing: int, rows: int, **metadata: object) -> CheckOutcome:
    examples = [{"meter_id": f"M{i}"} for i in range(failing)]
    return CheckOutcome(
        "dst",
        passed,
        "fine" if passed else f"{failing} bad",
        failing,
        {"rows": rows, "failing_rows": failing, "examples": examples, **metadata},
    )


def test_a_run_fails_a_check_when_any_chunk_fails_and_counts_add_up() -> None:
    combined = combine(
        "dst",
        [
            outcome(True, 0, 10, judged_dst_days=1, zone="a"),
            outcome(False, 2, 10, judged_dst_days=0, zone="b"),
            outcome(False, 1, 5, judged_dst_days=2, zone="c"),
        ],
    )
    assert not combined.passed
    assert combined.failing_rows == 3
    assert combined.metadata["rows"] == 25
    assert combined.metadata["judged_dst_days"] == 3
    assert combined.metadata["zone"] == "b"  # the first failing chunk's details
    assert combined.metadata["failing_chunks"] == 2
    assert "failed on 2 of 3 chunks" in combined.description


def test_a_run_passes_a_check_when_every_chunk_passes() -> None:
    combined = combine("dst", [outcome(True, 0, 10), outcome(True, 0, 7)])
    assert combined.passed and combined.metadata["rows"] == 17


def test_check_results_carry_severity_and_json_metadata() -> None:
    result = check_result(
        dg.AssetKey(["silver", "x"]),
        [outcome(False, 1, 3)],
        "dst",
        dg.AssetCheckSeverity.WARN,
    )
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["examples"].value == [{"meter_id": "M0"}]


def intensity_rows(*rows: tuple[int, int]) -> pa.Table:
    """Carbon intensity rows of 2024-03-04 as (hour, interval_minutes)."""
    day = date(2024, 3, 4)
    return pa.Table.from_pylist(
        [
            {
                "source": "eco2mix",
                "region": "IDF",
                "interval_start_utc": datetime(2024, 3, 4, hour, tzinfo=UTC),
                "interval_minutes": minutes,
                "carbon_intensity_gco2e_per_kwh": 50.0,
                "dataset": "d",
                "ingested_at_utc": datetime(2024, 3, 5, tzinfo=UTC),
                "batch_id": "b",
                "day": day,
            }
            for hour, minutes in rows
        ],
        schema=BRONZE_GRID_CARBON_INTENSITY.schema,
    )


INTENSITY = CheckSuite(
    key(BRONZE_GRID_CARBON_INTENSITY), [matches_contract(BRONZE_GRID_CARBON_INTENSITY)]
)


def test_a_blocking_check_refuses_the_rows_it_fails_and_passes_on_the_rest() -> None:
    suite = INTENSITY.fresh()
    kept, screened = suite.admit(intensity_rows((0, 60), (1, 7), (2, 60)))

    assert kept["interval_minutes"].to_pylist() == [60, 60]
    assert screened.rows["interval_minutes"].to_pylist() == [7]
    (reason,) = screened.reasons
    assert reason.startswith("matches_contract: interval_minutes:isin(")
    (result,) = suite.results()
    assert result.passed
    assert result.metadata["quarantined_rows"].value == 1
    assert result.description.startswith("1 rows failing it quarantined before the write")


def test_a_break_no_row_explains_still_fails_the_blocking_check() -> None:
    suite = INTENSITY.fresh()
    kept, screened = suite.admit(intensity_rows((0, 60)).drop_columns(["dataset"]))

    assert kept.num_rows == 1 and screened.rows.num_rows == 0
    (result,) = suite.results()
    assert not result.passed
    assert "structure breaks the contract" in (result.description or "")


def test_an_interval_off_its_grid_is_refused_naming_the_offset() -> None:
    suite = CheckSuite(key(SILVER_METER_READINGS), [SILVER_READINGS_CHECKS[0]])
    readings = pa.table(
        {
            "meter_id": ["M1", "M1"],
            "interval_start_utc": pa.array(
                [datetime(2024, 3, 4, 0, 0, tzinfo=UTC), datetime(2024, 3, 4, 0, 22, tzinfo=UTC)],
                pa.timestamp("us", "UTC"),
            ),
            "interval_minutes": pa.array([15, 15], pa.int16()),
        }
    )
    kept, screened = suite.admit(readings)

    assert kept.num_rows == 1
    assert screened.reasons == ["interval_alignment: starts 420 s off its 15-minute grid"]
    (result,) = suite.results()
    assert result.passed and result.metadata["quarantined_rows"].value == 1
