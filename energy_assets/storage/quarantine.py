"""Writing a step's rejections to `bronze/quarantine`, replacing only that step's earlier ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from checks.contracts import BRONZE_QUARANTINE
from checks.quarantine import Rejection, quarantine_table
from energy_assets.masking import mask_secrets
from energy_assets.storage.lake import Lake, window_predicate


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def replace_quarantine(
    store: Lake,
    rejections: Sequence[Rejection],
    *,
    rejected_by: str,
    source: str,
    window: tuple[date, date] | None = None,
    files: Sequence[str] | None = None,
) -> int:
    """Replace `rejected_by`'s quarantine rows of the window (day-partitioned steps), or of the
    given files (files are judged whole), or all of them (whole-table steps); return rows written.
    Reasons are recorded with their secrets masked (an error message may echo a URL's key).
    """
    if files is not None and not files:
        return 0
    masked = [replace(r, reason=mask_secrets(r.reason)) for r in rejections]
    rows = quarantine_table(
        masked, rejected_by=rejected_by, source=source, rejected_at_utc=datetime.now(UTC)
    )
    predicate = f"rejected_by = {_sql_string(rejected_by)}"
    if files is not None:
        predicate += f" AND source_file IN ({', '.join(_sql_string(f) for f in files)})"
    if window is not None:
        store.replace_where(BRONZE_QUARANTINE, rows, window_predicate(*window, predicate), window)
    else:
        store.replace_where(BRONZE_QUARANTINE, rows, predicate)
    return rows.num_rows
