"""What every asset reports: write metadata, and plain check outcomes as Dagster check results."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import dagster as dg

from checks.result import CheckOutcome
from energy_assets.lake import WriteResult


def write_metadata(
    result: WriteResult, start: date | None = None, end: date | None = None
) -> dict[str, Any]:
    """Rows, Delta version, window and duration of one table write."""
    metadata: dict[str, Any] = {
        "table": result.table,
        "dagster/row_count": result.rows,
        "delta_version": result.version,
        "write_seconds": round(result.seconds, 3),
    }
    if start is not None and end is not None:
        metadata["window"] = f"[{start.isoformat()}, {end.isoformat()})"
        metadata["days"] = (end - start).days
    return metadata


TOTALS = ("rows", "failing_rows", "examples")


def combine(name: str, outcomes: Sequence[CheckOutcome]) -> CheckOutcome:
    """One outcome for a multi-chunk run from per-chunk outcomes: it fails if any chunk fails.

    Counts are totals; the other metadata is the first failing day's.
    """
    if len(outcomes) == 1:
        return outcomes[0]
    failing = [o for o in outcomes if not o.passed]
    examples: list[dict[str, Any]] = []
    for outcome in failing:
        examples.extend(outcome.metadata.get("examples", []))
    if not failing:
        description = f"passed on each of {len(outcomes)} chunks of days"
    elif len(failing) == 1:
        description = failing[0].description
    else:
        description = (
            f"failed on {len(failing)} of {len(outcomes)} chunks of days "
            f"({sum(o.failing_rows for o in failing)} failing rows); first: "
            f"{failing[0].description}"
        )
    first_failure = {
        k: v for k, v in (failing[0].metadata if failing else {}).items() if k not in TOTALS
    }
    return CheckOutcome(
        name=name,
        passed=not failing,
        description=description[:2000],
        failing_rows=sum(o.failing_rows for o in outcomes),
        metadata={
            **first_failure,
            "rows": sum(int(o.metadata.get("rows", 0)) for o in outcomes),
            "failing_rows": sum(o.failing_rows for o in outcomes),
            "failing_chunks": len(failing),
            "examples": examples[:5],
        },
    )


def check_result(
    asset_key: dg.AssetKey,
    outcomes: Iterable[CheckOutcome],
    name: str,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetCheckResult:
    """A Dagster check result from one check's per-day outcomes."""
    outcome = combine(name, list(outcomes))
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=name,
        passed=outcome.passed,
        severity=severity,
        description=outcome.description,
        metadata={
            key: dg.MetadataValue.json(value) if isinstance(value, list | dict) else value
            for key, value in outcome.metadata.items()
        },
    )
