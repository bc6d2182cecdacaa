from __future__ import annotations

import dagster as dg

from checks.result import CheckOutcome
from energy_assets.defs.check_suites import check_result, combine


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
