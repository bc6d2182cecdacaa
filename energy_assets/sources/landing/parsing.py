"""Column parsing shared by the landing parsers: stripped strings, numbers, intervals, booleans,
instants (offset or the meter's local time), and splitting rows into good rows and rejections.
"""

from __future__ import annotations

import gc
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from checks.contracts import (
    INTERVAL_MINUTES,
)
from checks.quarantine import Rejection
from energy_assets.sources.landing.files import (
    SOURCE,
    ParsedFile,
    _as_utc,
    _Ctx,
    _FileRejectedError,
    _load,
    file_sha256,
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
    # an ambiguous local time (DST fall-back): in a file in time order the first appearance is
    # the earlier instant; in a file sorted newest first (more of the key's consecutive local
    # times fall than rise) the first appearance is the later one
    ambiguous_mask = pl.col("_earliest") != pl.col("_latest")
    if rank_keys is None or frame.select(ambiguous_mask.fill_null(False).any()).item() is False:
        later_instants: list[int] = []
    else:
        step = pl.col("_local").diff().over(rank_keys)
        newest_first = (step < pl.duration()).sum().over(rank_keys) > (
            step > pl.duration()
        ).sum().over(rank_keys)
        repeat = pl.int_range(pl.len()).over([*rank_keys, "_local"]) > 0
        later_instants = (
            frame.filter(ambiguous_mask & (repeat != newest_first)).get_column("_row").to_list()
        )
    from_local = (
        pl.when(pl.col("_row").is_in(later_instants))
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


def _written_day(frame: pl.DataFrame, ctx: _Ctx) -> pl.Expr:
    """The date written at the start of a row's `timestamp` when it is a real date inside the
    lake's days (a row whose time does not parse still concerns that day), else null."""
    if "timestamp" not in frame.columns:
        return pl.lit(None, pl.Date)
    written = pl.col("timestamp").str.extract(r"^(\d{4}-\d{2}-\d{2})").str.to_date(strict=False)
    if ctx.days is None:
        return written
    return pl.when(written.is_between(*ctx.days)).then(written)


def _shared(values: list[Any]) -> list[Any]:
    """The values with equal ones as one object: the rejected rows of a big file repeat a few
    reasons, meters, days and timestamps, and a million copies of each cost gigabytes."""
    seen: dict[Any, Any] = {}
    return [seen.setdefault(value, value) for value in values]


def _records(raw: pl.DataFrame) -> list[dict[str, Any]]:
    """Each row as a dict of its raw values, equal values shared (`_shared`)."""
    names = raw.columns
    columns = [_shared(raw.get_column(name).to_list()) for name in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


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
        day.fill_null(_written_day(frame, ctx)).fill_null(ctx.ingested_day).alias("_day"),
        _opt(frame, "meter_id").alias("_meter_id"),
        _opt(frame, "location_id").alias("_location_id"),
    )
    source_file = str(ctx.path)
    # a million small objects: the cyclic GC would rescan them over and over (3x slower)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        columns = [_shared(bad.get_column(c).to_list()) for c in bad.columns]
        records = _records(raw.filter(bad_mask))
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


CHUNK_ROWS = 100_000
"""About how many rows are validated at once: parsing holds several working columns per row
(parts of timestamps, instants in two zones, errors), about 16x the file's size when a 64 MB
file was parsed whole. A key (meter, location) is never split across chunks: its cadence and the
order of its DST-ambiguous hours are judged over all its rows."""


def _chunks(raw: pl.DataFrame, key: str | None) -> Iterator[pl.DataFrame]:
    """The rows in chunks of about `CHUNK_ROWS`, each holding every row of its keys in file
    order (a key with more rows is a chunk of its own); one chunk without a key column."""
    if key is None or key not in raw.columns or raw.height <= CHUNK_ROWS:
        yield raw
        return
    ids = raw.get_column(key).str.strip_chars().fill_null("")
    counts = ids.value_counts(sort=False, name="_n")
    starts = counts.get_column("_n").cum_sum() - counts.get_column("_n")
    chunk_of = dict(
        zip(counts.get_column(key).to_list(), (starts // CHUNK_ROWS).to_list(), strict=True)
    )
    labels = ids.replace_strict(chunk_of, return_dtype=pl.Int64)
    for label in labels.unique().sort():
        yield raw.filter(labels == label)


def _merged(ctx: _Ctx, parts: Sequence[ParsedFile]) -> ParsedFile:
    """The parses of a file's chunks as one."""
    if len(parts) == 1:
        return parts[0]
    inferred = {meter: m for part in parts for meter, m in part.inferred_intervals.items()}
    return ParsedFile(
        str(ctx.path),
        ctx.sha256,
        pa.concat_tables([part.rows for part in parts]),
        [rejection for part in parts for rejection in part.rejections],
        inferred,
    )


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
    days: tuple[date, date] | None = None,
    reshape: Callable[[_Ctx, pl.DataFrame], pl.DataFrame] | None = None,
    frame: pl.DataFrame | None = None,
    chunk_key: str | None = None,
) -> ParsedFile:
    """Read a file, `reshape` it (e.g. wide to long) and `parse` it, in chunks of whole
    `chunk_key`s (see `CHUNK_ROWS`); a file-level problem rejects the whole file. `frame`, when
    given, holds rows already in hand (read as strings) instead of the file's: they are parsed
    at once, their good rows kept in order (the MQTT source pairs them with their messages)."""
    path = Path(path)
    sha256 = file_sha256(path) if frame is None else ""
    ctx = _Ctx(path, sha256, schema, batch_id, _as_utc(ingested_at_utc), days)
    try:
        if frame is None:
            raw, malformed = _load(
                ctx, required=required, optional=optional, max_bytes=max_bytes, reshape=reshape
            )
        else:
            raw, malformed, chunk_key = frame, [], None
        parsed = _merged(ctx, [parse(ctx, chunk) for chunk in _chunks(raw, chunk_key)])
    except _FileRejectedError as exc:
        return ctx.reject_file(exc.reason, exc.columns, exc.days)
    if malformed:
        parsed = replace(parsed, rejections=malformed + parsed.rejections)
    return parsed


def _common(ctx: _Ctx) -> list[pl.Expr]:
    return [
        pl.lit(ctx.ingested_at_utc).cast(_UTC_TS).alias("ingested_at_utc"),
        pl.lit(ctx.batch_id).alias("batch_id"),
        pl.lit(SOURCE).alias("source"),
    ]
