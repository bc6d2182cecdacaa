"""Landing files: finding them, hashing them, and reading CSV or Parquet with every column as a
string; `ParsedFile` is what every parse returns.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv

from checks.contracts.vocabularies import LANDING_KINDS, LandingKind
from checks.quarantine import Rejection

SOURCE = "landing"
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
EXTENSIONS = (".csv", ".parquet")


@dataclass(frozen=True)
class ParsedFile:
    """One landing file, parsed: its good rows in the bronze schema and everything rejected."""

    path: str
    content_sha256: str
    rows: pa.Table
    rejections: list[Rejection]
    inferred_intervals: dict[str, int] = field(default_factory=dict)
    """Readings only: meters whose interval came from their timestamps' cadence (minutes)."""


class _FileRejectedError(Exception):
    """The whole file is rejected for `reason`."""

    def __init__(self, reason: str, columns: Sequence[str] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.columns = list(columns)


@dataclass(frozen=True)
class _Ctx:
    path: Path
    sha256: str
    schema: pa.Schema
    batch_id: str
    ingested_at_utc: datetime

    @property
    def ingested_day(self) -> date:
        return self.ingested_at_utc.date()

    def empty(self) -> pa.Table:
        return self.schema.empty_table()

    def reject_file(self, reason: str, columns: Sequence[str] = ()) -> ParsedFile:
        try:
            size: int | None = self.path.stat().st_size
        except OSError:
            size = None
        rejection = Rejection(
            record={"file": str(self.path), "size_bytes": size, "columns": list(columns)},
            reason=reason,
            day=self.ingested_day,
            source_file=str(self.path),
        )
        return ParsedFile(str(self.path), self.sha256, self.empty(), [rejection])


# --- files ------------------------------------------------------------------------------------


def list_landing_files(landing_root: Path, kind: LandingKind) -> list[Path]:
    """The CSV and Parquet files of one kind in the landing folder, sorted by path.

    Hidden files (a leading dot, e.g. partial uploads) and other extensions are not listed; a
    missing folder lists nothing.
    """
    if kind not in LANDING_KINDS:
        raise ValueError(f"unknown landing kind {kind!r}; expected one of {LANDING_KINDS}")
    folder = Path(landing_root) / kind
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in EXTENSIONS
    )


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (streamed, so any size fits in memory)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("ingested_at_utc must be timezone-aware")
    return moment.astimezone(UTC)


def _read_csv(path: Path) -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    """A CSV with every column as a string, and the malformed rows (field count, text)."""
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError as exc:
        raise _FileRejectedError(f"unreadable file: not UTF-8 text ({exc.reason})") from exc
    if not header or all(not name.strip() for name in header):
        raise _FileRejectedError("empty file: no header")
    names = [name.strip() for name in header]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise _FileRejectedError(f"duplicate columns: {duplicated}", names)
    malformed: list[tuple[int, str]] = []

    def on_invalid_row(row: Any) -> str:
        malformed.append((row.actual_columns, row.text))
        return "skip"

    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pa_csv.ParseOptions(
                invalid_row_handler=on_invalid_row, newlines_in_values=True
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise _FileRejectedError(f"unreadable file: {str(exc)[:300]}", names) from exc
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame, malformed


def _as_strings(frame: pl.DataFrame) -> pl.DataFrame:
    """Parquet values rendered as the strings a CSV would hold (instants as UTC with `Z`)."""
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.String:
            exprs.append(col)
        elif isinstance(dtype, pl.Datetime):
            if dtype.time_zone:
                col = col.dt.convert_time_zone("UTC")
                exprs.append(col.dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ"))
            else:
                exprs.append(col.dt.to_string("%Y-%m-%dT%H:%M:%S%.f"))
        elif dtype == pl.Date:
            exprs.append(col.dt.to_string("%Y-%m-%d"))
        elif (
            dtype.is_numeric()
            or dtype in (pl.Boolean, pl.Null, pl.Categorical)
            or isinstance(dtype, pl.Enum)
        ):
            exprs.append(col.cast(pl.String))
        else:
            raise _FileRejectedError(f"unsupported type {dtype} in column {name!r}", frame.columns)
    return frame.select(exprs)


def _read_parquet(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several error types for corrupt files
        raise _FileRejectedError(f"unreadable file: {str(exc)[:300]}") from exc
    names = [n.strip() for n in frame.columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise _FileRejectedError(f"duplicate columns: {duplicated}", names)
    return _as_strings(frame.rename(dict(zip(frame.columns, names, strict=True))))


def _load(
    ctx: _Ctx, *, required: Sequence[str], optional: Sequence[str], max_bytes: int
) -> tuple[pl.DataFrame, list[Rejection]]:
    """The rows as strings and the malformed rows; raises `_FileRejectedError` for the file."""
    path = ctx.path
    size = path.stat().st_size
    if size > max_bytes:
        raise _FileRejectedError(f"file too large: {size} bytes > limit of {max_bytes} bytes")
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        raise _FileRejectedError(f"unknown extension {path.suffix!r}: expected one of {EXTENSIONS}")
    if size == 0:
        raise _FileRejectedError("empty file: 0 bytes")
    malformed: list[tuple[int, str]] = []
    if suffix == ".csv":
        frame, malformed = _read_csv(path)
    else:
        frame = _read_parquet(path)
    columns = frame.columns
    problems = []
    missing = [c for c in required if c not in columns]
    if missing:
        problems.append(f"missing required columns: {missing}")
    allowed = set(required) | set(optional)
    unknown = [c for c in columns if c not in allowed]
    if unknown:
        problems.append(f"unknown columns: {unknown} (allowed: {sorted(allowed)})")
    if problems:
        raise _FileRejectedError("; ".join(problems), columns)
    if frame.height == 0 and not malformed:
        raise _FileRejectedError("empty file: no data rows", columns)
    n_columns = len(columns)
    rejections = [
        Rejection(
            record={"line": text},
            reason=f"malformed CSV row: {found} fields where the header has {n_columns}",
            day=ctx.ingested_day,
            source_file=str(path),
        )
        for found, text in malformed
    ]
    return frame, rejections
