"""`python -m bench.lake_diff A B`: whether two lakes hold the same tables, row for row.

Compares every Delta table under two lake roots (local folders): the schema, the row count, and
the rows once both sides are sorted by the table's key columns (from its contract; then by every
other compared column, so rows with equal keys line up). Floats are equal within `RELATIVE`
(1e-9) of the larger magnitude; everything else exactly, nulls equal nulls. The columns that
legitimately differ from run to run (`RUN_DEPENDENT`: instants of ingestion or of a run, batch
and run ids, MLflow model versions) are left out, and said so. Prints one line per table and
exits 1 on any difference: a refactor that claims unchanged behaviour runs the same simulated
window before and after, and this says whether every table agrees.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from deltalake import DeltaTable

from checks.contracts import ALL_TABLES

RELATIVE = 1e-9
RUN_DEPENDENT = frozenset(
    {
        "ingested_at_utc",  # when bronze received the rows
        "batch_id",  # the ingestion batch, named per run
        "described_at_utc",  # when a source described the meter (ingestion time)
        "rejected_at_utc",  # when a row went to quarantine
        "processed_at_utc",  # when the landing sensor judged a file
        "fetched_at_utc",  # when an API response was received
        "detected_at_utc",  # when anomalies were detected
        "evaluated_at_utc",  # when the detectors were evaluated
        "backtested_at_utc",  # when the backtest ran
        "measured_at_utc",  # when a footprint was measured
        "raised_at_utc",  # when an alert was raised
        "run_id",  # a Dagster run id
        "mlflow_run_id",  # an MLflow run id
        "model_version",  # the MLflow registry's version number of the model used
    }
)
"""Columns whose values depend on when or in which run a table was written, not on its data."""
KEYS = {table.path: table.key for table in ALL_TABLES}


@dataclass(frozen=True)
class TableDiff:
    """How one table compares: `status` is equal, differs, only in A or only in B."""

    path: str
    status: str
    rows_a: int | None
    rows_b: int | None
    detail: str = ""


def delta_tables(root: Path) -> list[str]:
    """The paths (relative to `root`, with `/`) of every Delta table under it."""
    return sorted(
        log.parent.relative_to(root).as_posix() for log in root.rglob("_delta_log") if log.is_dir()
    )


def _read(root: Path, path: str) -> pl.DataFrame:
    frame = pl.from_arrow(DeltaTable(str(root / path)).to_pyarrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def _is_float(dtype: pl.DataType) -> bool:
    return dtype in (pl.Float32, pl.Float64)


def _sorted(frame: pl.DataFrame, key: Sequence[str]) -> pl.DataFrame:
    """Rows ordered by the key, then by every other sortable column (floats last)."""
    rest = [c for c in frame.columns if c not in key]
    plain = [c for c in rest if frame.schema[c].is_numeric() or frame.schema[c] == pl.String]
    others = [
        c
        for c in rest
        if c not in plain and not isinstance(frame.schema[c], pl.List | pl.Struct | pl.Array)
    ]
    by = [*key, *[c for c in plain if not _is_float(frame.schema[c])], *others]
    by += [c for c in plain if _is_float(frame.schema[c])]
    return frame.sort(by, nulls_last=True, maintain_order=True) if by else frame


def _differing_rows(a: pl.Series, b: pl.Series) -> int:
    """Rows where two aligned columns differ (floats within `RELATIVE`; null equals null)."""
    if _is_float(a.dtype) and _is_float(b.dtype):
        both = pl.DataFrame({"a": a, "b": b})
        same = both.select(
            (
                (pl.col("a").is_null() & pl.col("b").is_null())
                | (pl.col("a").is_nan() & pl.col("b").is_nan())
                | (
                    (pl.col("a") - pl.col("b")).abs()
                    <= RELATIVE * pl.max_horizontal(pl.col("a").abs(), pl.col("b").abs())
                )
            ).fill_null(False)
        ).to_series()
        return int((~same).sum())
    return int(a.ne_missing(b).sum())


def compare_frames(path: str, a: pl.DataFrame, b: pl.DataFrame) -> TableDiff:
    """Schema, row count and content of one table on both sides, run-dependent columns aside."""
    ignored = sorted(RUN_DEPENDENT & (set(a.columns) | set(b.columns)))
    a, b = a.drop(ignored, strict=False), b.drop(ignored, strict=False)
    note = f" (ignored: {', '.join(ignored)})" if ignored else ""
    changed = [
        f"{c}: {a.schema.get(c)} vs {b.schema.get(c)}"
        for c in sorted({*a.columns, *b.columns})
        if a.schema.get(c) != b.schema.get(c)
    ]
    if changed:
        return TableDiff(path, "differs", a.height, b.height, "schema " + "; ".join(changed))
    b = b.select(a.columns)
    if a.height != b.height:
        return TableDiff(path, "differs", a.height, b.height, "row count" + note)
    key = [c for c in KEYS.get(path, ()) if c in a.columns]
    a, b = _sorted(a, key), _sorted(b, key)
    differing = {c: n for c in a.columns if (n := _differing_rows(a[c], b[c]))}
    if differing:
        shown = ", ".join(f"{c} ({n} rows)" for c, n in sorted(differing.items()))
        return TableDiff(path, "differs", a.height, b.height, f"values: {shown}{note}")
    return TableDiff(path, "equal", a.height, b.height, note.strip())


def compare_lakes(root_a: Path, root_b: Path) -> list[TableDiff]:
    """Every Delta table of either lake, compared with its namesake in the other."""
    in_a, in_b = set(delta_tables(root_a)), set(delta_tables(root_b))
    diffs = []
    for path in sorted(in_a | in_b):
        if path not in in_b:
            diffs.append(TableDiff(path, "only in A", _read(root_a, path).height, None))
        elif path not in in_a:
            diffs.append(TableDiff(path, "only in B", None, _read(root_b, path).height))
        else:
            diffs.append(compare_frames(path, _read(root_a, path), _read(root_b, path)))
    return diffs


def _count(rows: int | None) -> str:
    return "-" if rows is None else str(rows)


def render(diffs: Sequence[TableDiff]) -> str:
    """The comparison as an aligned plain-text table, one line per table."""
    rows = [("table", "status", "rows A", "rows B", "detail")] + [
        (d.path, d.status, _count(d.rows_a), _count(d.rows_b), d.detail) for d in diffs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + f"  {row[4]}"
        for row in rows
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lake_a", type=Path, help="the first lake root (e.g. before a change)")
    parser.add_argument("lake_b", type=Path, help="the second lake root (e.g. after it)")
    args = parser.parse_args(argv)
    diffs = compare_lakes(args.lake_a, args.lake_b)
    print(render(diffs))
    different = [d for d in diffs if d.status != "equal"]
    print(f"{len(diffs) - len(different)} of {len(diffs)} tables equal")
    return 1 if different or not diffs else 0


if __name__ == "__main__":
    sys.exit(main())
