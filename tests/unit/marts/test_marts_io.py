from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import write_deltalake

from checks.contracts import GOLD_ANOMALIES
from energy_assets.marts import marts_io, marts_source
from energy_assets.settings import marts_lookback_days
from energy_assets.storage.lake import Lake


def test_the_marts_live_under_a_local_lake_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ENERGY_MARTS_DIR", raising=False)
    assert marts_io.marts_dir(Lake(str(tmp_path))) == tmp_path.resolve() / "marts"
    monkeypatch.setenv("ENERGY_MARTS_DIR", str(tmp_path / "elsewhere"))
    assert marts_io.marts_dir(Lake("s3://bucket/lake")) == (tmp_path / "elsewhere").resolve()


def test_an_object_store_lake_needs_a_local_marts_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENERGY_MARTS_DIR", raising=False)
    with pytest.raises(ValueError, match="ENERGY_MARTS_DIR"):
        marts_io.marts_dir(Lake("s3://bucket/lake"))


def test_a_negative_lookback_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENERGY_MARTS_LOOKBACK_DAYS", "-1")
    with pytest.raises(ValueError, match="0 or more"):
        marts_lookback_days()


def test_only_mart_tables_are_exported_whole_and_nothing_partial_is_left(tmp_path: Path) -> None:
    with duckdb.connect(str(marts_io.duckdb_path(tmp_path))) as con:
        con.execute("create schema marts.marts")
        con.execute("create schema marts.staging")
        con.execute("create table marts.marts.daily as select range as n from range(5)")
        con.execute("create view marts.marts.daily_view as select 1 as n")
        con.execute("create table marts.staging.raw as select 1 as n")

    result = marts_io.export_marts(tmp_path)

    exports = marts_io.exports_dir(tmp_path)
    assert result.rows == {"daily": 5}
    assert sorted(p.name for p in exports.iterdir()) == ["daily.parquet"]
    assert pq.read_table(exports / "daily.parquet")["n"].to_pylist() == [0, 1, 2, 3, 4]


def test_a_dbt_step_sees_the_lake_and_window_only_while_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ENERGY_MARTS_WINDOW_START", raising=False)
    monkeypatch.setenv("ENERGY_MARTS_DIR", "before")
    window = marts_io.window_settings(date(2024, 5, 15), date(2024, 5, 16), 0)
    with marts_io.marts_environment(Lake(f"{tmp_path}/"), tmp_path / "marts", window):
        assert os.environ["ENERGY_MARTS_LAKE_ROOT"] == str(tmp_path)
        assert os.environ["ENERGY_MARTS_DIR"] == str(tmp_path / "marts")
        assert os.environ["ENERGY_MARTS_WINDOW_START"] == "2024-05-15"
        assert os.environ["ENERGY_MARTS_LOOKBACK_DAYS"] == "0"
    assert os.environ["ENERGY_MARTS_DIR"] == "before"
    assert "ENERGY_MARTS_WINDOW_START" not in os.environ


def test_a_lake_table_never_written_is_an_empty_dbt_source_with_its_schema(
    tmp_path: Path,
) -> None:
    empty = marts_source.load_table(Lake(str(tmp_path)), GOLD_ANOMALIES).to_table()
    assert empty.num_rows == 0
    assert empty.schema == GOLD_ANOMALIES.schema


def test_a_dbt_source_reads_only_the_days_a_filter_asks_for(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    meters = ["M1", "M2"]
    rows = pa.table(
        {
            "meter_id": meters,
            "day": pa.array([date(2024, 5, 14), date(2024, 5, 15)], pa.date32()),
        }
    )
    write_deltalake(lake.uri(GOLD_ANOMALIES), rows, partition_by=["day"])
    data = marts_source.load_table(lake, GOLD_ANOMALIES)
    with duckdb.connect() as con:
        con.register("anomalies", data)
        assert con.execute(
            "select meter_id from anomalies where day = date '2024-05-15'"
        ).fetchall() == [("M2",)]


def test_the_lake_plugin_views_are_read_from_parallel_cursors_without_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt threads each take a cursor: every one reads the views the connection created once,
    and a connection to a file holding views of an earlier process recreates them."""
    lake = Lake(str(tmp_path / "lake"))
    rows = pa.table({"meter_id": ["M1"], "day": pa.array([date(2024, 5, 15)], pa.date32())})
    write_deltalake(lake.uri(GOLD_ANOMALIES), rows, partition_by=["day"])
    monkeypatch.setenv("ENERGY_MARTS_LAKE_ROOT", lake.root)
    for _ in range(2):  # a second dbt process over the same DuckDB file
        plugin = marts_source.Plugin(name="lake", plugin_config={"layers": ["gold"]})
        with duckdb.connect(str(tmp_path / "marts.duckdb")) as con:
            plugin.configure_connection(con)
            cursors = [con.cursor() for _ in range(4)]
            for cursor in cursors:
                plugin.configure_cursor(cursor)
            with ThreadPoolExecutor(4) as pool:
                counts = list(
                    pool.map(
                        lambda c: c.execute("select count(*) from gold.anomalies").fetchone(),
                        cursors,
                    )
                )
            assert counts == [(1,)] * 4
            assert con.execute("select count(*) from gold.forecasts").fetchone() == (0,)


def _project_with_manifest(root: Path) -> tuple[Path, Path]:
    (root / "models").mkdir(parents=True)
    (root / "models" / "a.sql").write_text("select 1")
    (root / "target").mkdir()
    manifest = root / "target" / "manifest.json"
    manifest.write_text("{}")
    os.utime(root / "models" / "a.sql", (1_000, 1_000))
    os.utime(manifest, (2_000, 2_000))
    return root, manifest


def test_a_manifest_newer_than_every_project_file_is_not_parsed_again(tmp_path: Path) -> None:
    project, manifest = _project_with_manifest(tmp_path)
    (project / "target" / "run_results.json").write_text("{}")
    assert not marts_io.is_manifest_stale(project, manifest)


def test_a_changed_model_or_a_missing_manifest_makes_the_manifest_stale(tmp_path: Path) -> None:
    project, manifest = _project_with_manifest(tmp_path)
    os.utime(project / "models" / "a.sql", (3_000, 3_000))
    assert marts_io.is_manifest_stale(project, manifest)
    manifest.unlink()
    assert marts_io.is_manifest_stale(project, manifest)
