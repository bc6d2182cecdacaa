"""Writing a step's rejections to `bronze/quarantine`, replacing only that step's earlier ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from checks.contracts import BRONZE_QUARANTINE
from checks.quarantine import Rejection, quarantine_table
from energy_assets.masking import mask_secrets
from energy_assets.storage.lake import Lake, window_predicate

PREDICATE_FILES = 10_000
"""The most file names put in one Delta predicate: near 50,000 the predicate parser of the Delta
writer crashes the process (a segmentation fault). Longer lists rewrite the affected days."""


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
    # masked once per distinct reason, and a rejection copied only when its reason changes: a
    # big file's million rejections share a few reasons
    reasons = {reason: mask_secrets(reason) for reason in {r.reason for r in rejections}}
    masked = [
        r if reasons[r.reason] == r.reason else replace(r, reason=reasons[r.reason])
        for r in rejections
    ]
    rows = quarantine_table(
        masked, rejected_by=rejected_by, source=source, rejected_at_utc=datetime.now(UTC)
    )
    predicate = f"rejected_by = {_sql_string(rejected_by)}"
    if files is not None and len(set(files)) > PREDICATE_FILES:
        return _replace_many_files(store, rows, rejected_by, set(files), window)
    if files is not None:
        predicate += f" AND source_file IN ({', '.join(_sql_string(f) for f in files)})"
    if window is not None:
        store.replace_where(BRONZE_QUARANTINE, rows, window_predicate(*window, predicate), window)
    else:
        store.replace_where(BRONZE_QUARANTINE, rows, predicate)
    return rows.num_rows


def _replace_many_files(
    store: Lake,
    rows: pa.Table,
    rejected_by: str,
    files: set[str],
    window: tuple[date, date] | None,
) -> int:
    """`replace_quarantine` for more files than a predicate holds: the step's rows on every day
    where those files have rows (or get new ones) are rewritten in one commit, without the files'
    earlier rows and with their new ones."""
    start, end = window if window is not None else (None, None)
    step = ds.field("rejected_by") == rejected_by
    listed = ds.field("source_file").isin(pa.array(sorted(files), pa.string()))
    earlier = store.read(BRONZE_QUARANTINE, start, end, ["day"], step & listed)
    days = sorted(set(earlier["day"].to_pylist()) | set(rows["day"].to_pylist()))
    if not days:
        return 0
    on_days = ds.field("day").isin(pa.array(days, pa.date32()))
    others = ds.field("source_file").is_null() | ~listed
    kept = store.read(BRONZE_QUARANTINE, start, end, filter_expression=step & on_days & others)
    predicate = (
        f"rejected_by = {_sql_string(rejected_by)} AND day IN "
        f"({', '.join(_sql_string(d.isoformat()) for d in days)})"
    )
    if window is not None:
        predicate = window_predicate(*window, predicate)
    store.replace_where(BRONZE_QUARANTINE, [kept, rows], predicate, window)
    return rows.num_rows


def refile_quarantine(store: Lake, moved: Mapping[str, str | None]) -> None:
    """Quarantine rows filed under a file that moved (`moved`: old path -> new path) follow it,
    whichever step wrote them; new path None removes them (the file's judgement replaces them).
    A run that read a file while it waited in the landing inbox filed its rows there: left
    behind, they would stand beside the rows filed where the file went."""
    paths = sorted({*moved, *(p for p in moved.values() if p is not None)})
    rows = store.read(
        BRONZE_QUARANTINE, filter_expression=ds.field("source_file").isin(pa.array(paths))
    )
    if not any(f in moved for f in rows["source_file"].to_pylist()):
        return
    targets = pa.array([moved.get(f, f) for f in rows["source_file"].to_pylist()], pa.string())
    at = rows.schema.get_field_index("source_file")
    refiled = rows.set_column(at, rows.schema.field(at), targets).filter(pc.is_valid(targets))
    # the predicate names the new paths too: every row written must match it
    predicate = f"source_file IN ({', '.join(_sql_string(p) for p in paths)})"
    store.replace_where(BRONZE_QUARANTINE, refiled, predicate)
