"""Landing files: finding them, hashing them, and reading CSV or Parquet with every column as a
string; `ParsedFile` is what every parse returns.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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
EXTENSIONS = (".csv", ".csv.gz", ".parquet")
SETTLE_SECONDS = 60
"""A file without its end mark (a final newline, Parquet's footer) is taken as complete once its
modification time is this old: two looks of the landing sensor (every 30 s) saw it unchanged."""


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

    def __init__(self, reason: str, columns: Sequence[str] = (), days: Sequence[date] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.columns = list(columns)
        self.days = list(days)


@dataclass(frozen=True)
class _Ctx:
    path: Path
    sha256: str
    schema: pa.Schema
    batch_id: str
    ingested_at_utc: datetime
    days: tuple[date, date] | None = None
    """The first and last UTC day a row may concern (None: any)."""

    @property
    def ingested_day(self) -> date:
        return self.ingested_at_utc.date()

    def empty(self) -> pa.Table:
        return self.schema.empty_table()

    def reject_file(
        self, reason: str, columns: Sequence[str] = (), days: Sequence[date] = ()
    ) -> ParsedFile:
        """One quarantine row per data day the file concerns (when its dates could be read),
        else one on the day it was ingested."""
        try:
            size: int | None = self.path.stat().st_size
        except OSError:
            size = None
        record = {"file": str(self.path), "size_bytes": size, "columns": list(columns)}
        if days:
            record["days"] = [d.isoformat() for d in days]
        rejections = [
            Rejection(record=record, reason=reason, day=day, source_file=str(self.path))
            for day in (days or [self.ingested_day])
        ]
        return ParsedFile(str(self.path), self.sha256, self.empty(), rejections)

    def written_days(self, frame: pl.DataFrame) -> list[date]:
        """The dates written at the start of a file's `timestamp` or `date` values that fall in
        the lake's days: the data days a file rejected whole concerns."""
        column = next((c for c in ("timestamp", "date") if c in frame.columns), None)
        if column is None:
            return []
        written = (
            frame.get_column(column)
            .str.strip_chars()
            .str.extract(r"^(\d{4}-\d{2}-\d{2})")
            .str.to_date(strict=False)
            .drop_nulls()
            .unique()
            .sort()
        )
        if self.days is not None:
            written = written.filter(written.is_between(*self.days))
        return written.to_list()


# --- files ------------------------------------------------------------------------------------


def extension(path: Path) -> str:
    """A file's extension as the landing folder reads it (`.csv.gz` is one), lower case."""
    name = path.name.lower()
    return ".csv.gz" if name.endswith(".csv.gz") else path.suffix.lower()


def _kind_files(landing_root: Path, kind: LandingKind) -> list[Path]:
    if kind not in LANDING_KINDS:
        raise ValueError(f"unknown landing kind {kind!r}; expected one of {LANDING_KINDS}")
    folder = Path(landing_root) / kind
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _is_hidden(path: Path, folder: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(folder).parts)


def list_landing_files(landing_root: Path, kind: LandingKind) -> list[Path]:
    """The CSV (plain or gzip) and Parquet files of one kind in the landing folder, sub-folders
    included, sorted by path; `refused_files` lists the rest. A missing folder lists nothing."""
    folder = Path(landing_root) / kind
    return [
        p
        for p in _kind_files(landing_root, kind)
        if not _is_hidden(p, folder) and extension(p) in EXTENSIONS
    ]


def refused_files(landing_root: Path, kind: LandingKind) -> list[tuple[Path, str]]:
    """The files of one kind the landing folder does not read, each with why: hidden files (a
    leading dot, e.g. a partial upload left behind) and other extensions (`.txt`, `.tsv`, ...).
    They are rejected with that reason, never ignored without a trace."""
    folder = Path(landing_root) / kind
    refused = []
    for path in _kind_files(landing_root, kind):
        if _is_hidden(path, folder):
            refused.append((path, "hidden file (a name starting with '.') is not read"))
        elif extension(path) not in EXTENSIONS:
            refused.append(
                (path, f"unknown extension {extension(path)!r}: expected one of {EXTENSIONS}")
            )
    return refused


def is_settled(path: Path, now: datetime, *, end_mark_counts: bool = True) -> bool:
    """Whether a file is complete: it ends with its end mark (a CSV's final newline, Parquet's
    `PAR1` footer), or it has not changed for `SETTLE_SECONDS`. A file still being written (an
    upload, a copy) is not read: its last line may be cut (`1.75` read as `1`). A file refused
    unread (a hidden upload in progress) is judged only by its age (`end_mark_counts=False`)."""
    stat = path.stat()
    if now.timestamp() - stat.st_mtime >= SETTLE_SECONDS:
        return True
    if stat.st_size == 0 or not end_mark_counts:
        return False
    end_mark = {".csv": b"\n", ".parquet": b"PAR1"}.get(extension(path))
    if end_mark is None:
        return False
    with path.open("rb") as fh:
        fh.seek(-len(end_mark), 2)
        return fh.read() == end_mark


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


def _open_text(path: Path) -> Any:
    opener = gzip.open if extension(path) == ".csv.gz" else open
    return opener(path, "rt", encoding="utf-8-sig", newline="")


FIELD_LIMIT = 131072
"""The longest field reported as such when Arrow cannot read a file (Python's csv default)."""


@contextmanager
def _field_size_limit(limit: int) -> Iterator[None]:
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _folded_rows(path: Path, n_columns: int) -> list[tuple[int, int]]:
    """(first line, last line) of each record spanning several lines with the wrong field count:
    what a stray or unterminated quote folded together (Arrow does not say where)."""
    spans = []
    with _field_size_limit(sys.maxsize), _open_text(path) as fh:
        reader = csv.reader(fh)
        next(reader, None)
        first = reader.line_num + 1
        for record in reader:
            if reader.line_num > first and len(record) != n_columns:
                spans.append((first, reader.line_num))
            first = reader.line_num + 1
    return spans


def _oversized_field(path: Path) -> str:
    """Where the first field longer than `FIELD_LIMIT` ends, for a file Arrow could not read
    (its block-boundary error names no line)."""
    with _field_size_limit(FIELD_LIMIT), _open_text(path) as fh:
        reader = csv.reader(fh)
        try:
            deque(reader, maxlen=0)  # read every record, keeping none
        except csv.Error:
            return (
                f"a field of more than {FIELD_LIMIT} characters ending at line "
                f"{reader.line_num} (an unterminated quote swallows every line after it)"
            )
    return f"no field longer than {FIELD_LIMIT} characters found"


def _read_csv(path: Path) -> tuple[pl.DataFrame, list[tuple[int, str, str]]]:
    """A CSV with every column as a string, and the malformed rows (field count, text, where)."""
    try:
        with _open_text(path) as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError as exc:
        raise _FileRejectedError(f"unreadable file: not UTF-8 text ({exc.reason})") from exc
    except (OSError, EOFError) as exc:
        raise _FileRejectedError(f"unreadable file: {exc}") from exc
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
        # read block by block: the whole file as Arrow strings next to their polars copy would
        # cost twice the rows' size at once
        reader = pa_csv.open_csv(
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
        blocks = [pl.DataFrame(pl.from_arrow(batch)) for batch in reader]
    except (pa.ArrowInvalid, OSError, EOFError) as exc:
        message = str(exc)
        if "straddl" in message:
            message = f"{_oversized_field(path)}; Arrow: {message}"
        raise _FileRejectedError(f"unreadable file: {message[:300]}", names) from exc
    empty = pl.DataFrame(schema=dict.fromkeys(names, pl.String))
    frame = pl.concat([empty, *blocks], rechunk=False)
    spans = iter(_folded_rows(path, len(names)) if any("\n" in t for _, t in malformed) else [])
    located = []
    for found, text in malformed:
        where = ""
        if "\n" in text and (span := next(spans, None)) is not None:
            first, last = span
            where = (
                f" at lines {first}-{last}: a stray or unterminated quote folded "
                f"{last - first + 1} lines into one row"
            )
        located.append((found, text, where))
    return frame, located


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
    ctx: _Ctx,
    *,
    required: Sequence[str],
    optional: Sequence[str],
    max_bytes: int,
    reshape: Callable[[_Ctx, pl.DataFrame], pl.DataFrame] | None = None,
) -> tuple[pl.DataFrame, list[Rejection]]:
    """The rows as strings (after `reshape`) and the malformed rows; raises
    `_FileRejectedError` for the file."""
    path = ctx.path
    size = path.stat().st_size
    if size > max_bytes:
        raise _FileRejectedError(f"file too large: {size} bytes > limit of {max_bytes} bytes")
    suffix = extension(path)
    if suffix not in EXTENSIONS:
        raise _FileRejectedError(f"unknown extension {suffix!r}: expected one of {EXTENSIONS}")
    if size == 0:
        raise _FileRejectedError("empty file: 0 bytes")
    malformed: list[tuple[int, str, str]] = []
    if suffix != ".parquet":
        frame, malformed = _read_csv(path)
    else:
        frame = _read_parquet(path)
    if reshape is not None:
        frame = reshape(ctx, frame)
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
        raise _FileRejectedError("; ".join(problems), columns, ctx.written_days(frame))
    if frame.height == 0 and not malformed:
        raise _FileRejectedError("empty file: no data rows", columns)
    n_columns = len(columns)
    rejections = [
        Rejection(
            record={"line": text},
            reason=f"malformed CSV row{where}: {found} fields where the header has {n_columns}",
            day=ctx.ingested_day,
            source_file=str(path),
        )
        for found, text, where in malformed
    ]
    return frame, rejections
