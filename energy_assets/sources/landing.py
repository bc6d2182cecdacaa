"""The landing folder: files utilities drop, parsed into bronze rows and quarantine rows.

Layout under the landing root (see DESIGN.md, "The landing folder"):

- `meters/*.csv|*.parquet`: `meter_id`, `location_id`, optional `region`, `timezone` (IANA, default
  `UTC`), `country`, `subdivision`, `customer_type`, `latitude`, `longitude`, `interval_minutes`,
  `can_export`, `installed_on`.
- `readings/*.csv|*.parquet`: `meter_id`, `timestamp` (ISO 8601 start of the interval, with an
  offset or in the meter's local time), exactly one of `energy_kwh`, `energy_wh`, `power_kw`, and
  optional `interval_minutes`, `is_estimated`.
- `weather/*.csv|*.parquet`: `location_id`, `timestamp`, `temperature_c`, optional
  `relative_humidity_pct`, `wind_speed_ms`, `cloud_cover_pct`, `shortwave_radiation_wm2`, `kind`
  (`observation` or `forecast`) and `issued_at` (required for forecasts).

Every parse returns a `ParsedFile`: the good rows in the exact bronze contract schema and one
`Rejection` per bad row (with its raw values as strings) or a single `Rejection` for a bad file.
Nothing is silently dropped: every data row of a file is either in `rows` or in `rejections`.

Parsing is vectorised: files are read with every column as a string (pyarrow's CSV reader, or
Parquet values rendered as strings), then validated and cast column-wise with polars.

Conventions:
- Values are stripped of surrounding whitespace; an empty value is null. No other null tokens.
- A timestamp without offset is local time of the meter's (or location's) zone. On a DST fall-back
  day the first appearance of an ambiguous local time (per meter, in file order) is the first
  occurrence (summer time) and any later appearance the second; `issued_at` always takes the first.
  A local time inside the spring-forward gap is rejected.
- `interval_minutes` must be one of `checks.contracts.INTERVAL_MINUTES`.
- Booleans accept true/false, t/f, 1/0, yes/no, y/n (any case).
"""

from __future__ import annotations

import csv
import gc
import hashlib
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv

from checks.contracts import (
    BRONZE_METER_READINGS,
    BRONZE_METERS,
    BRONZE_WEATHER,
    INTERVAL_MINUTES,
    WEATHER_FIELDS,
)
from checks.contracts.vocabularies import LANDING_KINDS, WEATHER_KINDS, LandingKind
from checks.quarantine import Rejection
from energy_assets.sources.cadence import cadence_minutes
from energy_assets.sources.reading_limits import day_error, energy_error

SOURCE = "landing"
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
EXTENSIONS = (".csv", ".parquet")


METER_REQUIRED = ("meter_id", "location_id")
METER_OPTIONAL = (
    "region",
    "timezone",
    "country",
    "subdivision",
    "customer_type",
    "latitude",
    "longitude",
    "interval_minutes",
    "can_export",
    "installed_on",
)
READING_REQUIRED = ("meter_id", "timestamp")
ENERGY_COLUMNS: dict[str, str] = {"energy_kwh": "kWh", "energy_wh": "Wh", "power_kw": "kW"}
READING_OPTIONAL = ("interval_minutes", "is_estimated", *ENERGY_COLUMNS)
WEATHER_REQUIRED = ("location_id", "timestamp", "temperature_c")
WEATHER_OPTIONAL = (
    "relative_humidity_pct",
    "wind_speed_ms",
    "cloud_cover_pct",
    "shortwave_radiation_wm2",
    "kind",
    "issued_at",
)

_TRUE = ("true", "t", "1", "yes", "y")
_FALSE = ("false", "f", "0", "no", "n")
_TIMESTAMP_RE = (
    r"^(?i)(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<h>\d{2}):(?P<m>\d{2})"
    r"(?::(?P<s>\d{2})(?:[.,](?P<frac>\d{1,9}))?)?"
    r"\s*(?:(?P<z>Z)|(?P<sign>[+-])(?P<oh>\d{2})(?::?(?P<om>\d{2}))?)?$"
)
_TIMESTAMP_HINT = "expected ISO 8601 like 2024-03-31T02:15:00, 2024-03-31T00:15:00Z or +02:00"
_UTC_TS = pl.Datetime("us", "UTC")
_MAX_OFFSET_MINUTES = 18 * 60


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


# --- column parsing helpers -------------------------------------------------------------------


def _cleaned(raw: pl.DataFrame) -> pl.DataFrame:
    """Values stripped of surrounding whitespace, empty strings as null."""
    return raw.with_columns(
        pl.col(c).str.strip_chars().replace("", None) for c in raw.columns
    ).with_row_index("_row")


def _opt(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A (cleaned) column, or a null string when the file lacks it."""
    return pl.col(name) if name in frame.columns else pl.lit(None, pl.String)


def _float(col: pl.Expr, name: str) -> tuple[pl.Expr, pl.Expr]:
    """A float column and its error (not a number, not finite)."""
    value = col.cast(pl.Float64, strict=False)
    error = (
        pl.when(col.is_not_null() & value.is_null())
        .then(pl.format(f"{name} is not a number: {{}}", col))
        .when(value.is_nan() | value.is_infinite())
        .then(pl.format(f"{name} is not finite: {{}}", col))
    )
    return value, error


def _interval(col: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """An interval length in minutes and its error (not one of the supported lengths)."""
    number = col.cast(pl.Float64, strict=False)
    value = number.cast(pl.Int64, strict=False)
    good = number.is_not_null() & (number == number.round(0)) & value.is_in(INTERVAL_MINUTES)
    allowed = ", ".join(str(m) for m in INTERVAL_MINUTES)
    error = pl.when(col.is_not_null() & ~good.fill_null(False)).then(
        pl.format(f"interval_minutes is not one of {allowed}: {{}}", col)
    )
    return pl.when(good).then(value), error


def _bool(col: pl.Expr, name: str) -> tuple[pl.Expr, pl.Expr]:
    lowered = col.str.to_lowercase()
    value = pl.when(lowered.is_in(_TRUE)).then(True).when(lowered.is_in(_FALSE)).then(False)
    error = pl.when(col.is_not_null() & value.is_null()).then(
        pl.format(f"{name} is not a boolean: {{}}", col)
    )
    return value, error


@lru_cache(maxsize=1)
def _iana_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


@lru_cache(maxsize=256)
def _polars_knows_zone(zone: str) -> bool:
    try:
        pl.Series([datetime(2000, 1, 1)]).dt.replace_time_zone(zone)
    except Exception:  # polars raises ComputeError (or others) for unknown zones
        return False
    return True


def _with_instant(
    frame: pl.DataFrame,
    *,
    raw: str,
    zone: str,
    out: str,
    rank_keys: Sequence[str] | None,
    no_zone_reason: str,
    label: str | None = None,
) -> pl.DataFrame:
    """Adds `out` (UTC instant) and `out + '_error'` from the ISO 8601 strings of column `raw`.

    With an offset or `Z` the string is an instant; without one it is local time of the zone in
    column `zone`. Ambiguous local times: the first appearance per `rank_keys` + local time is the
    earlier instant, later ones the later instant (`rank_keys=None`: always the earlier).
    """
    label = label or raw
    parts = pl.col(raw).str.extract_groups(_TIMESTAMP_RE)

    def part(name: str) -> pl.Expr:
        return pl.col("_ts").struct.field(name)

    fraction_us = part("frac").str.pad_end(6, "0").str.slice(0, 6).cast(pl.Int64).fill_null(0)
    local = pl.concat_str(
        [part("date"), pl.lit("T"), part("h"), pl.lit(":"), part("m"), pl.lit(":"), part("s")],
        ignore_nulls=False,
    )
    local = (
        pl.when(part("s").is_null())
        .then(
            pl.concat_str(
                [part("date"), pl.lit("T"), part("h"), pl.lit(":"), part("m"), pl.lit(":00")]
            )
        )
        .otherwise(local)
    )
    local_ts = local.str.strptime(
        pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S", strict=False
    ) + pl.duration(microseconds=fraction_us)
    sign = pl.when(part("sign") == "-").then(-1).otherwise(1)
    offset = (
        pl.when(part("z").is_not_null())
        .then(0)
        .when(part("sign").is_not_null())
        .then(sign * (part("oh").cast(pl.Int64) * 60 + part("om").cast(pl.Int64).fill_null(0)))
    )
    frame = frame.with_columns(parts.alias("_ts")).with_columns(
        local_ts.alias("_local"), offset.alias("_offset")
    )
    aware = (pl.col("_local") - pl.duration(minutes=pl.col("_offset"))).dt.replace_time_zone("UTC")
    naive_rows = frame.filter(pl.col("_local").is_not_null() & pl.col("_offset").is_null())
    zones = naive_rows.get_column(zone).drop_nulls().unique().sort().to_list()
    bad_zones = [z for z in zones if not _polars_knows_zone(z)]
    earliest: pl.Expr = pl.lit(None, _UTC_TS)
    latest: pl.Expr = pl.lit(None, _UTC_TS)
    for z in zones:
        if z in bad_zones:
            continue
        local = pl.col("_local")
        in_zone = pl.col(zone) == z
        for choice in ("earliest", "latest"):
            converted = local.dt.replace_time_zone(
                z, ambiguous=choice, non_existent="null"
            ).dt.convert_time_zone("UTC")
            if choice == "earliest":
                earliest = pl.when(in_zone).then(converted).otherwise(earliest)
            else:
                latest = pl.when(in_zone).then(converted).otherwise(latest)
    frame = frame.with_columns(earliest.alias("_earliest"), latest.alias("_latest"))
    # an ambiguous local time (DST fall-back): the first appearance is the earlier instant
    ambiguous = frame.filter(pl.col("_earliest") != pl.col("_latest"))
    if rank_keys is None or ambiguous.is_empty():
        repeats: list[int] = []
    else:
        later = pl.int_range(pl.len()).over([*rank_keys, "_local"]) > 0
        repeats = ambiguous.filter(later).get_column("_row").to_list()
    from_local = (
        pl.when(pl.col("_row").is_in(repeats))
        .then(pl.col("_latest"))
        .otherwise(pl.col("_earliest"))
    )
    instant = pl.when(pl.col("_offset").is_not_null()).then(aware).otherwise(from_local)
    frame = frame.with_columns(instant.alias(out))
    error = (
        pl.when(pl.col(raw).is_null())
        .then(pl.lit(f"missing {label}"))
        .when(pl.col("_local").is_null())
        .then(pl.format(f"unparsable {label}: {{}} ({_TIMESTAMP_HINT})", pl.col(raw)))
        .when(pl.col("_offset").abs() > _MAX_OFFSET_MINUTES)
        .then(pl.format(f"unparsable {label}: offset out of range in {{}}", pl.col(raw)))
        .when(pl.col("_offset").is_null() & pl.col(zone).is_null())
        .then(pl.lit(no_zone_reason))
        .when(pl.col("_offset").is_null() & pl.col(zone).is_in(bad_zones))
        .then(pl.format("unknown time zone {}", pl.col(zone)))
        .when(pl.col(out).is_null())
        .then(
            pl.format(
                f"nonexistent local {label} {{}} in {{}} (skipped by a daylight-saving change)",
                pl.col(raw),
                pl.col(zone),
            )
        )
    )
    return frame.with_columns(error.alias(f"{out}_error")).drop(
        "_ts", "_local", "_offset", "_earliest", "_latest"
    )


def _reasons(errors: Sequence[pl.Expr]) -> pl.Expr:
    """All row errors joined by '; ', null when there is none."""
    joined = pl.concat_str(list(errors), separator="; ", ignore_nulls=True)
    return pl.when(joined != "").then(joined).alias("_reason")


def _split(
    ctx: _Ctx, raw: pl.DataFrame, frame: pl.DataFrame, *, day: pl.Expr
) -> tuple[pl.DataFrame, list[Rejection]]:
    """The rows without `_reason`, and one Rejection (raw values, reason) per row with one."""
    bad_mask = frame.get_column("_reason").is_not_null()
    good = frame.filter(~bad_mask)
    if not bad_mask.any():
        return good, []
    bad = frame.filter(bad_mask).select(
        "_reason",
        day.fill_null(ctx.ingested_day).alias("_day"),
        _opt(frame, "meter_id").alias("_meter_id"),
        _opt(frame, "location_id").alias("_location_id"),
    )
    columns = [bad.get_column(c).to_list() for c in bad.columns]
    source_file = str(ctx.path)
    # a million small objects: the cyclic GC would rescan them over and over (3x slower)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        records = raw.filter(bad_mask).to_dicts()
        rejections = [
            Rejection(
                record=record,
                reason=reason,
                day=rejection_day,
                meter_id=meter_id,
                location_id=location_id,
                source_file=source_file,
            )
            for record, reason, rejection_day, meter_id, location_id in zip(
                records, *columns, strict=True
            )
        ]
    finally:
        if gc_was_enabled:
            gc.enable()
    return good, rejections


def _finish(ctx: _Ctx, frame: pl.DataFrame, rejections: list[Rejection]) -> ParsedFile:
    table = frame.to_arrow()
    rows = pa.Table.from_arrays(
        [table.column(f.name).cast(f.type) for f in ctx.schema], schema=ctx.schema
    )
    return ParsedFile(str(ctx.path), ctx.sha256, rows, rejections)


def _run(
    path: Path,
    *,
    schema: pa.Schema,
    batch_id: str,
    ingested_at_utc: datetime,
    max_bytes: int,
    required: Sequence[str],
    optional: Sequence[str],
    parse: Callable[[_Ctx, pl.DataFrame], ParsedFile],
) -> ParsedFile:
    path = Path(path)
    ctx = _Ctx(path, file_sha256(path), schema, batch_id, _as_utc(ingested_at_utc))
    try:
        raw, malformed = _load(ctx, required=required, optional=optional, max_bytes=max_bytes)
        parsed = parse(ctx, raw)
    except _FileRejectedError as exc:
        return ctx.reject_file(exc.reason, exc.columns)
    if malformed:
        parsed = replace(parsed, rejections=malformed + parsed.rejections)
    return parsed


def _common(ctx: _Ctx) -> list[pl.Expr]:
    return [
        pl.lit(ctx.ingested_at_utc).cast(_UTC_TS).alias("ingested_at_utc"),
        pl.lit(ctx.batch_id).alias("batch_id"),
        pl.lit(SOURCE).alias("source"),
    ]


# --- meters -----------------------------------------------------------------------------------


def parse_meters_file(
    path: Path, *, batch_id: str, ingested_at_utc: datetime, max_bytes: int = DEFAULT_MAX_BYTES
) -> ParsedFile:
    """A meters file as `bronze/meters` rows.

    Rejected rows: missing `meter_id` or `location_id`, unknown time zone, a value that does not
    parse (numbers, booleans, `installed_on` as YYYY-MM-DD, latitude/longitude out of range), a
    meter described more than once with different values (all its rows). An exact repeat of a row
    lands once and the repeats are rejected as duplicates.
    """

    def parse(ctx: _Ctx, raw: pl.DataFrame) -> ParsedFile:
        frame = _cleaned(raw)
        zone = _opt(frame, "timezone").fill_null("UTC")
        latitude, latitude_error = _float(_opt(frame, "latitude"), "latitude")
        longitude, longitude_error = _float(_opt(frame, "longitude"), "longitude")
        interval, interval_error = _interval(_opt(frame, "interval_minutes"))
        can_export, can_export_error = _bool(_opt(frame, "can_export"), "can_export")
        customer_type = _opt(frame, "customer_type")
        installed_raw = _opt(frame, "installed_on")
        installed = installed_raw.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        data_columns = list(raw.columns)
        frame = frame.with_columns(
            zone.alias("_zone"),
            latitude.alias("_latitude"),
            longitude.alias("_longitude"),
            interval.alias("_interval"),
            can_export.fill_null(customer_type.str.to_lowercase() == "prosumer")
            .fill_null(False)
            .alias("_can_export"),
            installed.alias("_installed"),
            pl.struct(data_columns).alias("_content"),
        )
        frame = frame.with_columns(
            pl.col("_content").n_unique().over("meter_id").alias("_versions"),
            pl.int_range(pl.len()).over("meter_id", "_content").alias("_repeat"),
        )
        errors = [
            pl.when(pl.col("meter_id").is_null()).then(pl.lit("missing meter_id")),
            pl.when(pl.col("location_id").is_null()).then(pl.lit("missing location_id")),
            pl.when(~pl.col("_zone").is_in(sorted(_iana_zones()))).then(
                pl.format("unknown time zone {}", pl.col("_zone"))
            ),
            latitude_error,
            pl.when(pl.col("_latitude").abs() > 90).then(
                pl.format("latitude out of range: {}", _opt(frame, "latitude"))
            ),
            longitude_error,
            pl.when(pl.col("_longitude").abs() > 180).then(
                pl.format("longitude out of range: {}", _opt(frame, "longitude"))
            ),
            interval_error,
            can_export_error,
            pl.when(installed_raw.is_not_null() & pl.col("_installed").is_null()).then(
                pl.format("installed_on is not a date (YYYY-MM-DD): {}", installed_raw)
            ),
            pl.when(pl.col("meter_id").is_not_null() & (pl.col("_versions") > 1)).then(
                pl.format(
                    "meter {} described {} times in this file with different values",
                    pl.col("meter_id"),
                    pl.col("_versions"),
                )
            ),
            pl.when(
                pl.col("meter_id").is_not_null()
                & (pl.col("_versions") == 1)
                & (pl.col("_repeat") > 0)
            ).then(pl.lit("duplicate of an earlier row of this file")),
        ]
        frame = frame.with_columns(_reasons(errors))
        good, rejections = _split(ctx, raw, frame, day=pl.lit(None, pl.Date))
        good = good.select(
            *_common(ctx),
            "meter_id",
            "location_id",
            _opt(good, "region").alias("region"),
            pl.col("_zone").alias("timezone"),
            _opt(good, "country").alias("country"),
            _opt(good, "subdivision").alias("subdivision"),
            _opt(good, "customer_type").alias("customer_type"),
            pl.col("_interval").alias("interval_minutes"),
            pl.col("_can_export").alias("can_export"),
            pl.col("_latitude").alias("latitude"),
            pl.col("_longitude").alias("longitude"),
            pl.col("_installed").alias("installed_on"),
        )
        return _finish(ctx, good, rejections)

    return _run(
        path,
        schema=BRONZE_METERS.schema,
        batch_id=batch_id,
        ingested_at_utc=ingested_at_utc,
        max_bytes=max_bytes,
        required=METER_REQUIRED,
        optional=METER_OPTIONAL,
        parse=parse,
    )


# --- readings ---------------------------------------------------------------------------------


def parse_readings_file(
    path: Path,
    meter_timezones: Mapping[str, str],
    meter_intervals: Mapping[str, int],
    *,
    batch_id: str,
    ingested_at_utc: datetime,
    max_bytes: int = DEFAULT_MAX_BYTES,
    days: tuple[date, date] | None = None,
) -> ParsedFile:
    """A readings file as `bronze/meter_readings` rows.

    `days` (first, last; inclusive), when given, bounds the UTC day a reading may start on: rows
    outside are rejected, filed on the day the file was ingested.

    `meter_timezones` (meter -> IANA zone) names the described meters: rows of any other meter are
    rejected. `meter_intervals` (meter -> minutes) supplies `interval_minutes` where the row has
    none (needed to turn `power_kw` into energy). `energy_kwh` is the value converted by the
    file's declared unit: kWh as is, Wh / 1000, kW x interval_minutes / 60.

    The file is rejected whole when it has no energy column or several (mixed units).
    """

    def parse(ctx: _Ctx, raw: pl.DataFrame) -> ParsedFile:
        energy_columns = [c for c in ENERGY_COLUMNS if c in raw.columns]
        if len(energy_columns) != 1:
            what = (
                "no energy column"
                if not energy_columns
                else f"mixed units: several energy columns {energy_columns}"
            )
            raise _FileRejectedError(
                f"{what}; expected exactly one of {list(ENERGY_COLUMNS)}", raw.columns
            )
        energy_column = energy_columns[0]
        unit = ENERGY_COLUMNS[energy_column]
        frame = _cleaned(raw)
        described = pl.col("meter_id").is_in(list(meter_timezones))
        frame = frame.with_columns(
            pl.col("meter_id")
            .replace_strict(dict(meter_timezones), default=None, return_dtype=pl.String)
            .alias("_zone")
        )
        frame = _with_instant(
            frame,
            raw="timestamp",
            zone="_zone",
            out="_start",
            rank_keys=["meter_id"],
            no_zone_reason="no time zone for the meter",
        )
        value, value_error = _float(pl.col(energy_column), energy_column)
        row_interval, interval_error = _interval(_opt(frame, "interval_minutes"))
        known_intervals = {k: int(v) for k, v in meter_intervals.items() if v is not None}
        meter_interval = pl.col("meter_id").replace_strict(
            known_intervals, default=None, return_dtype=pl.Int64
        )
        # Rows without an interval take their meter's cadence in the file where the meter
        # declares none or a coarser one (finer readings, to be summed onto its grid).
        frame = frame.join(
            cadence_minutes(frame, "meter_id", "_start"),
            on="meter_id",
            how="left",
            maintain_order="left",
        )
        cadence = pl.col("cadence_minutes")
        interval = pl.coalesce(row_interval, pl.min_horizontal(cadence, meter_interval))
        if unit == "kWh":
            energy = value
        elif unit == "Wh":
            energy = value / 1000.0
        else:
            energy = value * interval / 60.0
        estimated, estimated_error = _bool(_opt(frame, "is_estimated"), "is_estimated")
        frame = frame.with_columns(
            interval.alias("_interval"), energy.alias("_energy"), estimated.alias("_estimated")
        )
        meter_error = (
            pl.when(pl.col("meter_id").is_null())
            .then(pl.lit("missing meter_id"))
            .when(~described)
            .then(pl.format("meter never described: {}", pl.col("meter_id")))
        )
        errors = [
            meter_error,
            # with a described meter, a timestamp error is worth reporting
            pl.when(described | pl.col("_start_error").str.starts_with("unparsable")).then(
                pl.col("_start_error")
            ),
            value_error,
            interval_error,
            pl.when(value_error.is_null()).then(
                energy_error(pl.col("_energy"), pl.col("_interval"))
            ),
            day_error(pl.col("_start").dt.date(), days) if days else pl.lit(None, pl.String),
            pl.when(
                described
                & pl.lit(unit == "kW")
                & pl.col("_interval").is_null()
                & _opt(frame, "interval_minutes").is_null()
            ).then(
                pl.format(
                    "power_kw needs the interval: no interval_minutes in the row, "
                    "none known for meter {} and no clear cadence in the file",
                    pl.col("meter_id"),
                )
            ),
            estimated_error,
        ]
        frame = frame.with_columns(_reasons(errors))
        day = pl.col("_start").dt.date()
        if days:
            day = pl.when(day.is_between(*days)).then(day).otherwise(pl.lit(ctx.ingested_day))
        good, rejections = _split(ctx, raw, frame, day=day)
        rows = good.select(
            *_common(ctx),
            "meter_id",
            pl.col("_start").alias("interval_start_utc"),
            pl.col("_interval").alias("interval_minutes"),
            pl.col("_energy").alias("energy_kwh"),
            pl.lit(unit).alias("reported_unit"),
            pl.col("_estimated").alias("is_estimated"),
            pl.col("_start").dt.date().alias("day"),
        )
        inferred = (
            good.filter(row_interval.is_null() & (cadence == pl.col("_interval")))
            .filter(meter_interval.is_null() | (cadence < meter_interval))
            .select("meter_id", "_interval")
            .unique()
        )
        return replace(
            _finish(ctx, rows, rejections), inferred_intervals=dict(inferred.iter_rows())
        )

    return _run(
        path,
        schema=BRONZE_METER_READINGS.schema,
        batch_id=batch_id,
        ingested_at_utc=ingested_at_utc,
        max_bytes=max_bytes,
        required=READING_REQUIRED,
        optional=READING_OPTIONAL,
        parse=parse,
    )


# --- weather ----------------------------------------------------------------------------------


def parse_weather_file(
    path: Path,
    location_timezones: Mapping[str, str],
    *,
    batch_id: str,
    ingested_at_utc: datetime,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ParsedFile:
    """A weather file as `bronze/weather` rows.

    Timestamps without offset are local time of the location (`location_timezones`); for a
    location of unknown zone such rows are rejected (timestamps with an offset are accepted).
    `kind` defaults to `observation`; a `forecast` row needs `issued_at`; observations get a null
    `issued_at_utc` whatever the file says.
    """

    def parse(ctx: _Ctx, raw: pl.DataFrame) -> ParsedFile:
        frame = _cleaned(raw)
        kind_raw = _opt(frame, "kind")
        kind = kind_raw.str.to_lowercase().fill_null("observation")
        issued_raw = _opt(frame, "issued_at")
        frame = frame.with_columns(
            kind.alias("_kind"),
            issued_raw.alias("_issued_raw"),
            pl.col("location_id")
            .replace_strict(dict(location_timezones), default=None, return_dtype=pl.String)
            .alias("_zone"),
        )
        no_zone = "timestamp without offset for a location of unknown time zone"
        frame = _with_instant(
            frame,
            raw="timestamp",
            zone="_zone",
            out="_valid",
            rank_keys=["location_id", "_kind", "_issued_raw"],
            no_zone_reason=no_zone,
        )
        frame = _with_instant(
            frame,
            raw="_issued_raw",
            zone="_zone",
            out="_issued",
            rank_keys=None,
            no_zone_reason=no_zone.replace("timestamp", "issued_at"),
            label="issued_at",
        )
        values, errors = [], []
        for name in WEATHER_FIELDS:
            value, error = _float(_opt(frame, name), name)
            values.append(value.alias(f"_{name}"))
            errors.append(error)
        frame = frame.with_columns(values)
        is_forecast = pl.col("_kind") == "forecast"
        errors += [
            pl.when(pl.col("location_id").is_null()).then(pl.lit("missing location_id")),
            pl.col("_valid_error"),
            pl.when(~pl.col("_kind").is_in(WEATHER_KINDS)).then(
                pl.format("unknown kind {}: expected observation or forecast", kind_raw)
            ),
            pl.when(is_forecast & pl.col("_issued_raw").is_null()).then(
                pl.lit("forecast without issued_at")
            ),
            pl.when(is_forecast & pl.col("_issued_raw").is_not_null()).then(
                pl.col("_issued_error")
            ),
        ]
        frame = frame.with_columns(_reasons(errors))
        day = pl.col("_valid").dt.date()
        good, rejections = _split(ctx, raw, frame, day=day)
        good = good.select(
            *_common(ctx),
            "location_id",
            pl.col("_valid").alias("valid_at_utc"),
            pl.when(pl.col("_kind") == "forecast")
            .then(pl.col("_issued"))
            .otherwise(pl.lit(None, _UTC_TS))
            .alias("issued_at_utc"),
            pl.col("_kind").alias("kind"),
            *[pl.col(f"_{name}").alias(name) for name in WEATHER_FIELDS],
            pl.col("_valid").dt.date().alias("day"),
        )
        return _finish(ctx, good, rejections)

    return _run(
        path,
        schema=BRONZE_WEATHER.schema,
        batch_id=batch_id,
        ingested_at_utc=ingested_at_utc,
        max_bytes=max_bytes,
        required=WEATHER_REQUIRED,
        optional=WEATHER_OPTIONAL,
        parse=parse,
    )


__all__ = [
    "DEFAULT_MAX_BYTES",
    "SOURCE",
    "ParsedFile",
    "file_sha256",
    "list_landing_files",
    "parse_meters_file",
    "parse_readings_file",
    "parse_weather_file",
]
