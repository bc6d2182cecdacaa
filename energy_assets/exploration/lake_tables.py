"""What the lake holds, for the notebooks: tables and their versions, time travel between Delta
versions, windows of a table, the marts' Parquet exports."""

from __future__ import annotations

from datetime import date

import polars as pl
import pyarrow as pa

from checks.contracts import (
    ALL_TABLES,
    TableContract,
    contract,
)
from energy_assets.marts.marts_io import exports_dir, marts_dir
from energy_assets.storage.lake import Lake


def frame(table: pa.Table) -> pl.DataFrame:
    """An Arrow table as a polars frame."""
    result = pl.from_arrow(table)
    assert isinstance(result, pl.DataFrame)
    return result


def find_table(path: str) -> TableContract | None:
    """The contract of `path` (e.g. `gold/anomalies`), or None while no issue has added it."""
    try:
        return contract(path)
    except KeyError:
        return None


def missing_table_message(path: str, lake: Lake, how_to_build: str) -> str | None:
    """A plain sentence when `path` has no contract yet or was never written, else None."""
    table = find_table(path)
    if table is None or not lake.exists(table):
        return f"`{path}` is not built yet in `{lake.root}`: {how_to_build}."
    return None


def table_overview(lake: Lake) -> pl.DataFrame:
    """One row per table of the contracts: whether it exists, its days, rows and Delta version,
    all from the Delta logs (no data is read)."""
    rows = []
    for table in ALL_TABLES:
        days = lake.partition_days(table)
        version = lake.version(table)
        rows.append(
            {
                "table": table.path,
                "layer": table.layer,
                "grain": table.grain,
                "is_built": version is not None,
                "is_partitioned": table.partitioned,
                "days": len(days),
                "first_day": days[0] if days else None,
                "last_day": days[-1] if days else None,
                "rows": lake.row_count(table),
                "version": version,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"version": pl.Int64})


def version_history(lake: Lake, table: TableContract) -> pl.DataFrame:
    """Each commit of the table: version, when (UTC), operation, predicate and rows added."""
    dt = lake.delta_table(table)
    if dt is None:
        return pl.DataFrame(
            schema={
                "version": pl.Int64,
                "committed_at_utc": pl.Datetime("ms", "UTC"),
                "operation": pl.String,
                "predicate": pl.String,
                "rows_added": pl.Int64,
            }
        )
    return pl.DataFrame(
        [
            {
                "version": commit["version"],
                "committed_at_utc": commit["timestamp"],
                "operation": commit.get("operation"),
                "predicate": (commit.get("operationParameters") or {}).get("predicate"),
                "rows_added": (commit.get("operationMetrics") or {}).get("num_added_rows"),
            }
            for commit in dt.history()
        ],
        schema_overrides={"rows_added": pl.Int64},
    ).with_columns(pl.from_epoch("committed_at_utc", time_unit="ms").dt.replace_time_zone("UTC"))


def _files_by_day(lake: Lake, table: TableContract, version: int) -> dict[date | None, set[str]]:
    dt = lake.delta_table(table, version)
    assert dt is not None
    actions = pa.table(dt.get_add_actions(flatten=True))
    days = (
        actions.column("partition.day").to_pylist()
        if "partition.day" in actions.column_names
        else [None] * actions.num_rows
    )
    files: dict[date | None, set[str]] = {}
    for day, path in zip(days, actions.column("path").to_pylist(), strict=True):
        files.setdefault(day, set()).add(path)
    return files


def _rows_at(
    lake: Lake, table: TableContract, version: int, days: list[date | None]
) -> pl.DataFrame:
    dt = lake.delta_table(table, version)
    assert dt is not None
    dataset = dt.to_pyarrow_dataset()
    if table.partitioned:
        import pyarrow.dataset as ds

        wanted = pa.array([d for d in days if d is not None], pa.date32())
        data = dataset.to_table(filter=ds.field("day").isin(wanted))
    else:
        data = dataset.to_table()
    return frame(data.select(table.schema.names).cast(table.schema))


def version_diff(lake: Lake, table: TableContract, old: int, new: int) -> pl.DataFrame:
    """What changed between two versions, per day: rows before and after, and rows added,
    removed or changed (same key, other values). Only the days whose files differ are read."""
    before, after = _files_by_day(lake, table, old), _files_by_day(lake, table, new)
    touched = sorted(
        (d for d in before.keys() | after.keys() if before.get(d) != after.get(d)),
        key=lambda d: d or date.min,
    )
    columns = pl.Schema(
        {
            "day": pl.Date,
            "rows_before": pl.Int64,
            "rows_after": pl.Int64,
            "rows_added": pl.Int64,
            "rows_removed": pl.Int64,
            "rows_changed": pl.Int64,
        }
    )
    if not touched:
        return pl.DataFrame(schema=columns)
    key = list(table.key)
    values = [c for c in table.schema.names if c not in key and c != "day"]

    def fingerprinted(rows: pl.DataFrame) -> pl.DataFrame:
        day = (
            []
            if "day" in key
            else [pl.col("day") if table.partitioned else pl.lit(None, pl.Date).alias("day")]
        )
        return rows.select(*key, *day, pl.struct(values).hash().alias("_fingerprint"))

    old_rows = fingerprinted(_rows_at(lake, table, old, touched))
    new_rows = fingerprinted(_rows_at(lake, table, new, touched))
    joined = old_rows.join(new_rows, on=key, how="full", suffix="_new", nulls_equal=True)
    return (
        joined.with_columns(day=pl.coalesce("day_new", "day"))
        .group_by("day")
        .agg(
            rows_before=pl.col("_fingerprint").is_not_null().sum(),
            rows_after=pl.col("_fingerprint_new").is_not_null().sum(),
            rows_added=pl.col("_fingerprint").is_null().sum(),
            rows_removed=pl.col("_fingerprint_new").is_null().sum(),
            rows_changed=(pl.col("_fingerprint") != pl.col("_fingerprint_new")).sum(),
        )
        .cast(columns)
        .select(columns.names())
        .sort("day")
    )


def load_window(
    lake: Lake,
    table: TableContract,
    start: date,
    end: date,
    columns: list[str] | None = None,
    meters: list[str] | None = None,
) -> pl.DataFrame:
    """Rows of days [start, end), optionally only some columns and meters."""
    rows = frame(lake.read(table, start, end, columns))
    if meters:
        rows = rows.filter(pl.col("meter_id").is_in(meters))
    return rows


def read_mart(lake: Lake, name: str) -> pl.DataFrame | None:
    """A dbt mart from its Parquet export, or None while it has not been built."""
    try:
        path = exports_dir(marts_dir(lake)) / f"{name}.parquet"
    except ValueError:
        return None
    return pl.read_parquet(path) if path.exists() else None


def rows_per_day(lake: Lake, table: TableContract) -> pl.DataFrame:
    """Rows and files of each day of a partitioned table, from the Delta log (no data read)."""
    dt = lake.delta_table(table)
    schema = pl.Schema({"day": pl.Date, "rows": pl.Int64, "files": pl.UInt32})
    if dt is None or not table.partitioned:
        return pl.DataFrame(schema=schema)
    actions = frame(pa.table(dt.get_add_actions(flatten=True)))
    return (
        actions.group_by(pl.col("partition.day").alias("day"))
        .agg(rows=pl.col("num_records").sum(), files=pl.len())
        .cast(schema)
        .sort("day")
    )


def mart_exports(lake: Lake) -> pl.DataFrame:
    """The marts' Parquet exports: name, rows (from the file footer) and when written (UTC)."""
    import pyarrow.parquet as pq

    schema = pl.Schema(
        [("mart", pl.String()), ("rows", pl.Int64()), ("written_at_utc", pl.Datetime("us", "UTC"))]
    )
    try:
        folder = exports_dir(marts_dir(lake))
    except ValueError:
        return pl.DataFrame(schema=schema)
    files = sorted(folder.glob("*.parquet")) if folder.exists() else []
    return pl.DataFrame(
        [
            {
                "mart": path.stem,
                "rows": pq.ParquetFile(path).metadata.num_rows,
                "written_at_utc": path.stat().st_mtime_ns // 1000,
            }
            for path in files
        ],
        schema={"mart": pl.String, "rows": pl.Int64, "written_at_utc": pl.Int64},
    ).with_columns(pl.from_epoch("written_at_utc", time_unit="us").dt.replace_time_zone("UTC"))
