from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from energy_assets import marts_io
from energy_assets.lake import Lake


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
        marts_io.lookback_days()


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
