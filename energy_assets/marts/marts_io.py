"""Around the dbt marts: where dbt's DuckDB file and the marts readers read live, and what a dbt
step's environment tells dbt.

dbt reads the lake's Delta tables itself, through their Delta logs (the `lake` plugin,
`energy_assets/marts/marts_source.py`). Readers read Parquet exports of the marts, so no notebook
ever holds DuckDB's write lock while dbt builds. Both live in the marts folder: `<lake>/marts`
for a local lake.
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from energy_assets.settings import marts_dir_override
from energy_assets.storage.lake import Lake

MARTS_SCHEMA = "marts"
BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]
"""The dbt command a marts run executes. dbt unit tests prove the SQL on fixed inputs, so they run
in the test suite (`tests/integration/test_marts.py`), not again on every partition."""


def marts_dir(lake: Lake) -> Path:
    """`ENERGY_MARTS_DIR`, else `<lake>/marts`; an object-store lake needs `ENERGY_MARTS_DIR`,
    since DuckDB's file must be local."""
    configured = marts_dir_override()
    if configured is not None:
        return configured
    if not lake.is_local:
        raise ValueError(
            f"the lake {lake.root} is not a local folder: set ENERGY_MARTS_DIR to a local folder "
            "for dbt's DuckDB file and the marts' Parquet exports"
        )
    return Path(lake.root.removeprefix("file://")).resolve() / "marts"


def duckdb_path(folder: Path) -> Path:
    """dbt's DuckDB file (`dbt/profiles.yml` builds the same path from ENERGY_MARTS_DIR)."""
    return folder / "marts.duckdb"


def exports_dir(folder: Path) -> Path:
    return folder / "exports"


def dbt_target_dir(folder: Path) -> Path:
    """dbt's target folder for the marts of this marts folder, the same for every run and both
    marts steps. dbt keeps its partial-parse state there, so a run parses only what changed: a
    new target folder per run, or one shared by lakes (whose profiles differ in the DuckDB
    path), means parsing the whole project again, about 7 s a dbt process here. dbt steps of one
    folder run one at a time (the `duckdb` pool)."""
    return folder / "dbt_target"


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: rows per table, and how long it took."""

    rows: dict[str, int]
    seconds: float


def export_marts(folder: Path, names: Collection[str] | None = None) -> ExportResult:
    """Copy the tables `names` (default: every table) of the `marts` schema to
    `exports/<name>.parquet`, each file replaced atomically. Opens DuckDB read-only: call it when
    dbt is not writing."""
    began = time.perf_counter()
    target = exports_dir(folder)
    target.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    with duckdb.connect(str(duckdb_path(folder)), read_only=True) as con:
        (catalog,) = con.execute("select current_database()").fetchone() or ("marts",)
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = ? and table_schema = ? and table_type = 'BASE TABLE' "
                "order by table_name",
                [catalog, MARTS_SCHEMA],
            ).fetchall()
            if names is None or name in names
        ]
        for name in tables:
            partial = target / f".{name}.parquet.partial"
            con.execute(
                f'copy (select * from "{catalog}".{MARTS_SCHEMA}."{name}") to \'{partial}\' '
                "(format parquet)"
            )
            os.replace(partial, target / f"{name}.parquet")
            rows[name] = pq.read_metadata(target / f"{name}.parquet").num_rows
    return ExportResult(rows, time.perf_counter() - began)


def window_settings(start: date, end: date, lookback: int) -> dict[str, str]:
    """The UTC days [start, end) a dbt run rebuilds, plus `lookback` days before them
    (`dbt/macros/window.sql`). Environment rather than `--vars`: new vars on every run would
    make dbt re-parse the whole project each time."""
    return {
        "ENERGY_MARTS_WINDOW_START": start.isoformat(),
        "ENERGY_MARTS_WINDOW_END": end.isoformat(),
        "ENERGY_MARTS_LOOKBACK_DAYS": str(lookback),
    }


@contextmanager
def marts_environment(
    lake: Lake, folder: Path, settings: Mapping[str, str] | None = None
) -> Iterator[None]:
    """For a block, point dbt (a subprocess inheriting this environment, object-store credentials
    included) at the lake and the marts folder, with extra `settings` (e.g. the window, or
    `DBT_INDIRECT_SELECTION`)."""
    folder.mkdir(parents=True, exist_ok=True)
    values = {
        "ENERGY_MARTS_DIR": str(folder),
        "ENERGY_MARTS_LAKE_ROOT": lake.root.rstrip("/"),
        **(settings or {}),
    }
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


PROJECT_FILES = ("*.sql", "*.yml", "*.md", ".sqlfluff")
"""What dbt parses (models, macros, tests, docs, settings): the files a manifest is built from."""
GENERATED_FOLDERS = frozenset({"target", "logs", "dbt_packages"})
"""What dbt writes inside its project, never a source of the manifest."""


def is_manifest_stale(project_dir: Path, manifest: Path) -> bool:
    """Whether the manifest is missing or older than a file of the dbt project it was parsed from
    (the Makefile's rule), so a process loading the definitions parses again only then: several
    processes of one run (`dagster dev`'s steps) must not rewrite a manifest another is reading."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    target = manifest.parent.resolve()
    return any(
        path.stat().st_mtime > built
        for pattern in PROJECT_FILES
        for path in project_dir.rglob(pattern)
        if target not in path.resolve().parents
        and "logs" not in path.relative_to(project_dir).parts
    )


def replace_manifest(parsed: Path, manifest: Path) -> None:
    """Move a freshly parsed manifest into place in one rename, so a reader never sees it half
    written."""
    os.replace(parsed, manifest)
