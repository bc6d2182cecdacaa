"""What every lake asset shares: its key from the table's contract, its write metadata, and plain
check outcomes as Dagster check results."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import dagster as dg

from checks.contracts import TableContract
from checks.result import CheckOutcome
from energy_assets.storage.lake import WriteResult


def key(table: TableContract) -> dg.AssetKey:
    """The asset key of a lake table: its layer, then its name."""
    return dg.AssetKey([table.layer, table.name])


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


def _totals(outcomes: Sequence[CheckOutcome]) -> dict[str, Any]:
    """Sums of the counts every outcome reports (rows judged, DST days judged, ...)."""
    keys = set.intersection(*(set(o.metadata) for o in outcomes))
    return {
        key: sum(o.metadata[key] for o in outcomes)
        for key in sorted(keys)
        if all(
            isinstance(o.metadata[key], int) and not isinstance(o.metadata[key], bool)
            for o in outcomes
        )
    }


def combine(name: str, outcomes: Sequence[CheckOutcome]) -> CheckOutcome:
    """One outcome for a multi-chunk run from per-chunk outcomes: it fails if any chunk fails.

    Counts are totals over the chunks; the other metadata is the first failing chunk's.
    """
    if len(outcomes) == 1:
        return outcomes[0]
    if not outcomes:
        return CheckOutcome(name, True, "nothing to check", 0, {"rows": 0})
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
    return CheckOutcome(
        name=name,
        passed=not failing,
        description=description[:2000],
        failing_rows=sum(o.failing_rows for o in outcomes),
        metadata={
            **(failing[0].metadata if failing else {}),
            **_totals(outcomes),
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
