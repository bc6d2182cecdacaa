"""Files around the dbt marts: the lake days dbt reads, and the marts readers read.

dbt reads Parquet exports of the lake's Delta tables (read through the Delta log, never a Parquet
glob over a table, one file per UTC day, replaced atomically) because DuckDB cannot read Delta
here. Readers read Parquet exports of the marts, so no notebook ever holds DuckDB's write lock
while dbt builds. Everything lives in the marts folder: `<lake>/marts` for a local lake.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from checks.contracts import (
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    SILVER_METERS,
    TableContract,
)
from energy_assets.lake import Lake, days_in

DAILY_INPUTS: tuple[TableContract, ...] = (
    SILVER_METER_READINGS,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
)
"""The partitioned lake tables the dbt sources read (`dbt/models/staging/_sources.yml`)."""
WHOLE_INPUTS: tuple[TableContract, ...] = (SILVER_METERS,)
MARTS_SCHEMA = "marts"
DEFAULT_LOOKBACK_DAYS = 1


def marts_dir(lake: Lake) -> Path:
    """`ENERGY_MARTS_DIR`, else `<lake>/marts`; an object-store lake needs `ENERGY_MARTS_DIR`,
    since DuckDB's file must be local."""
    configured = os.environ.get("ENERGY_MARTS_DIR")
    if configured:
        return Path(configured).resolve()
    if not lake.is_local:
        raise ValueError(
            f"the lake {lake.root} is not a local folder: set ENERGY_MARTS_DIR to a local folder "
            "for dbt's DuckDB file and the marts' Parquet exports"
        )
    return Path(lake.root.removeprefix("file://")).resolve() / "marts"


def lookback_days() -> int:
    """Days before a run's window that the marts rebuild too, for late data
    (`ENERGY_MARTS_LOOKBACK_DAYS`, default 1)."""
    days = int(os.environ.get("ENERGY_MARTS_LOOKBACK_DAYS", str(DEFAULT_LOOKBACK_DAYS)))
    if days < 0:
        raise ValueError(f"ENERGY_MARTS_LOOKBACK_DAYS must be 0 or more, not {days}")
    return days


def duckdb_path(folder: Path) -> Path:
    """dbt's DuckDB file (`dbt/profiles.yml` builds the same path from ENERGY_MARTS_DIR)."""
    return folder / "marts.duckdb"


def exports_dir(folder: Path) -> Path:
    return folder / "exports"


def input_path(folder: Path, table: TableContract, day: date | None = None) -> Path:
    """Where a source's export lives: one file per UTC day, or one file for a whole table."""
    base = folder / "inputs" / table.layer
    return base / f"{table.name}.parquet" if day is None else base / table.name / f"{day}.parquet"


def _write_atomically(table: pa.Table, path: Path) -> None:
    """Readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    pq.write_table(table, partial)
    os.replace(partial, path)


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: rows per table, and how long it took."""

    rows: dict[str, int]
    seconds: float


def export_inputs(lake: Lake, folder: Path, start: date, end: date) -> ExportResult:
    """Export the days [start, end) of every daily input, and every whole input, for dbt.

    A day without rows gets an empty file, so a day that lost its rows loses them in the marts too.
    """
    began = time.perf_counter()
    rows: dict[str, int] = {}
    for table in DAILY_INPUTS:
        rows[table.path] = 0
        for day in days_in(start, end):
            data = lake.read(table, day, date.fromordinal(day.toordinal() + 1))
            _write_atomically(data, input_path(folder, table, day))
            rows[table.path] += data.num_rows
    for table in WHOLE_INPUTS:
        data = lake.read(table)
        _write_atomically(data, input_path(folder, table))
        rows[table.path] = data.num_rows
    return ExportResult(rows, time.perf_counter() - began)


def export_marts(folder: Path) -> ExportResult:
    """Copy every table of the `marts` schema to `exports/<name>.parquet` (each file replaced
    atomically). Opens DuckDB read-only: call it when dbt is not writing."""
    began = time.perf_counter()
    target = exports_dir(folder)
    target.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    with duckdb.connect(str(duckdb_path(folder)), read_only=True) as con:
        (catalog,) = con.execute("select current_database()").fetchone() or ("marts",)
        names = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = ? and table_schema = ? and table_type = 'BASE TABLE' "
                "order by table_name",
                [catalog, MARTS_SCHEMA],
            ).fetchall()
        ]
        for name in names:
            partial = target / f".{name}.parquet.partial"
            con.execute(
                f'copy (select * from "{catalog}".{MARTS_SCHEMA}."{name}") to \'{partial}\' '
                "(format parquet)"
            )
            os.replace(partial, target / f"{name}.parquet")
            rows[name] = pq.read_metadata(target / f"{name}.parquet").num_rows
    return ExportResult(rows, time.perf_counter() - began)


@contextmanager
def marts_environment(folder: Path) -> Iterator[None]:
    """Point dbt (a subprocess inheriting this environment) at the marts folder for a block."""
    folder.mkdir(parents=True, exist_ok=True)
    previous = os.environ.get("ENERGY_MARTS_DIR")
    os.environ["ENERGY_MARTS_DIR"] = str(folder)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("ENERGY_MARTS_DIR", None)
        else:
            os.environ["ENERGY_MARTS_DIR"] = previous
