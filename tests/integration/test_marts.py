"""The dbt marts built through Dagster over a small simulated lake (6 meters, 2 days)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import psutil
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from checks.contracts import SILVER_METER_READINGS
from energy_assets import marts_io
from energy_assets.assets import marts as marts_assets
from energy_assets.assets.marts import DBT_DIR
from energy_assets.definitions import ASSETS, defs
from energy_assets.lake import Lake
from tests.integration.pipeline import materialize_days, materialize_dimensions

FIRST, LAST = date(2024, 5, 14), date(2024, 5, 15)
MARTS = dg.AssetSelection.groups("marts")
TELEMETRY_OFF = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}


@dataclass(frozen=True)
class Built:
    lake: Lake
    instance: dg.DagsterInstance
    folder: Path


def materialize_marts(
    instance: dg.DagsterInstance, first: date, last: date
) -> dg.ExecuteInProcessResult:
    """One run of every mart over the UTC days [first, last], as a backfill launches it."""
    return dg.materialize(
        ASSETS,
        instance=instance,
        resources=defs.resources,
        selection=MARTS,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
        },
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """A lake with two days of bronze..gold and every mart built once (shared: it takes a while)."""
    tmp = tmp_path_factory.mktemp("marts")
    home = tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENERGY_LAKE_ROOT", str(tmp / "lake"))
        patch.setenv("DAGSTER_HOME", str(home))
        patch.setenv("ENERGY_SIM_METERS", "6")
        patch.setenv("ENERGY_SOURCES", "simulator")
        patch.delenv("ENERGY_MARTS_DIR", raising=False)
        for name, value in TELEMETRY_OFF.items():
            patch.setenv(name, value)
        lake = Lake(str(tmp / "lake"))
        with dg.DagsterInstance.get() as instance:
            assert materialize_dimensions(instance).success
            assert materialize_days(instance, FIRST, LAST).success
            result = materialize_marts(instance, FIRST, LAST)
            assert result.success
            evaluations = result.get_asset_check_evaluations()
            assert {e.asset_key.path[0] for e in evaluations} == {"marts"}
            failed = [
                (e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed
            ]
            assert failed == []
            yield Built(lake, instance, marts_io.marts_dir(lake))


def query(folder: Path, sql: str) -> list[tuple]:
    """Run SQL over the exported marts (`{exports}` is their folder), as a notebook would."""
    with duckdb.connect() as con:
        return con.execute(sql.format(exports=marts_io.exports_dir(folder))).fetchall()


def test_every_mart_is_an_asset_with_dbt_tests_as_checks(built: Built) -> None:
    graph = defs.resolve_asset_graph()
    marts = {k.path[-1] for k in graph.get_all_asset_keys() if k.path[0] == "marts"}
    assert {"consumption_meter_daily", "dim_date", "load_profile_meter"} <= marts
    checked = {key.asset_key.to_user_string() for key in graph.asset_check_keys}
    assert "marts/consumption_meter_daily" in checked
    assert marts_assets.marts.op.pool == "duckdb"  # limited to one writer at a time
    exported = {p.stem for p in marts_io.exports_dir(built.folder).glob("*.parquet")}
    assert exported == marts - {"int_meter_intervals"} - {m for m in marts if m.startswith("stg_")}


def test_daily_totals_reconcile_with_silver(built: Built) -> None:
    silver = built.lake.read(SILVER_METER_READINGS, FIRST, date(2024, 5, 16))
    silver_total = sum(v for v in silver["energy_kwh"].to_pylist() if v is not None)
    ((daily_total, days),) = query(
        built.folder,
        "select sum(energy_kwh), count(distinct local_date) "
        "from '{exports}/consumption_meter_daily.parquet'",
    )
    ((monthly_total,),) = query(
        built.folder, "select sum(energy_kwh) from '{exports}/consumption_region_monthly.parquet'"
    )
    assert daily_total == pytest.approx(silver_total, rel=1e-9)
    assert monthly_total == pytest.approx(silver_total, rel=1e-9)
    assert days == 3  # two UTC days span three local dates east of UTC
    ((full_days,),) = query(
        built.folder,
        "select count(*) from '{exports}/consumption_meter_daily.parquet' "
        "where local_date = date '2024-05-14' + 1 and completeness_pct > 90",
    )
    assert full_days == 6


def test_a_partition_run_replaces_exactly_its_window(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mark every hourly row, rebuild the last day alone (no lookback): only its rows are new."""
    with duckdb.connect(str(marts_io.duckdb_path(built.folder))) as con:
        con.execute("update marts.marts.consumption_meter_hourly set observed_temperature_c = -99")
    monkeypatch.setenv("ENERGY_MARTS_LOOKBACK_DAYS", "0")

    assert materialize_marts(built.instance, LAST, LAST).success

    marked = query(
        built.folder,
        "select utc_day, bool_and(observed_temperature_c = -99), count(*) "
        "from '{exports}/consumption_meter_hourly.parquet' group by utc_day order by utc_day",
    )
    assert marked == [(FIRST, True, 6 * 24), (LAST, False, 6 * 24)]


def _holds_file_open(process: psutil.Process, path: Path) -> bool:
    try:
        family = [process, *process.children(recursive=True)]
        return any(Path(f.path) == path for p in family for f in p.open_files())
    except psutil.NoSuchProcess:
        return False


def test_a_reader_queries_the_exports_while_dbt_builds(built: Built) -> None:
    """While dbt holds DuckDB's write lock, the exported marts stay readable."""
    database = marts_io.duckdb_path(built.folder)
    env = {**os.environ, **TELEMETRY_OFF, "ENERGY_MARTS_DIR": str(built.folder)}
    dbt = Path(sys.executable).with_name("dbt")
    build = subprocess.Popen(
        [
            str(dbt),
            "build",
            "--select",
            "path:models/marts/rollups",
            "--target-path",
            "target/reader_test",
        ],
        cwd=DBT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    process = psutil.Process(build.pid)
    reads_during_build = 0
    while build.poll() is None:
        if not _holds_file_open(process, database):
            time.sleep(0.05)
            continue
        rows = query(
            built.folder, "select count(*) from '{exports}/consumption_meter_daily.parquet'"
        )
        if _holds_file_open(process, database):
            assert rows[0][0] > 0
            reads_during_build += 1
    assert build.wait() == 0
    assert reads_during_build > 0
