"""A lake built with pseudonymised meter ids: outside bronze, no raw meter id anywhere, in any
table, mart export, DuckDB file, MLflow store or artifact, the Dagster event log or the captured
logs; and a run switched on without a key fails before silver is written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from checks.contracts import BRONZE_METERS, SILVER_METERS
from energy_assets.definitions import defs
from energy_assets.exploration.lake_tables import frame
from energy_assets.storage.lake import Lake
from tests.integration.pipeline import built_lake
from tests.integration.test_marts import materialize_marts

FIRST, LAST = date(2024, 1, 1), date(2024, 1, 14)
KEY = "0123456789abcdef" * 4
RAW_PREFIX = "MTR-"
"""Every simulated meter id starts so (the unknown meter MTR-9999 included)."""


@pytest.fixture(scope="module")
def pseudonymised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Lake]]:
    root = tmp_path_factory.mktemp("pseudonymised")
    env = {
        "ENERGY_PSEUDONYMISE": "1",
        "ENERGY_PSEUDONYMISE_KEY": KEY,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    with built_lake(root, FIRST, LAST, env) as instance:
        segments = dg.materialize(
            defs.assets,
            instance=instance,
            resources=defs.resources,
            selection=dg.AssetSelection.groups("segments"),
            partition_key="2024-01-01",
        )
        assert segments.success
        assert all(result.success for result in materialize_marts(instance, FIRST, LAST))
        yield root, Lake(str(root / "lake"))


def _strings(table: pa.Table) -> list[str]:
    """Every string value of a table (dictionary-encoded columns decoded)."""
    values: list[str] = []
    for column in table.columns:
        decoded = (
            column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column
        )
        if pa.types.is_string(decoded.type) or pa.types.is_large_string(decoded.type):
            values.extend(v for v in pc.unique(decoded).to_pylist() if v is not None)
    return values


def _raw_ids_in(path: Path) -> bool:
    """Whether a file holds a raw meter id: Parquet and DuckDB files by their decoded values
    (they compress strings), anything else (SQLite stores, logs, artifacts) byte for byte."""
    if path.suffix == ".parquet":
        return any(RAW_PREFIX in v for v in _strings(pq.read_table(path)))
    if path.suffix == ".duckdb":
        with duckdb.connect(str(path), read_only=True) as connection:
            tables = connection.sql(
                "select table_catalog, table_schema, table_name from information_schema.tables "
                "where table_type = 'BASE TABLE'"
            ).fetchall()
            return any(
                RAW_PREFIX in v
                for catalog, schema, name in tables
                for v in _strings(
                    connection.sql(f'from "{catalog}"."{schema}"."{name}"').to_arrow_table()
                )
            )
    return RAW_PREFIX.encode() in path.read_bytes()


def test_no_raw_meter_id_outside_bronze(pseudonymised: tuple[Path, Lake]) -> None:
    root, _ = pseudonymised
    bronze = root / "lake" / "bronze"
    searched = [
        path
        for path in root.rglob("*")
        if path.is_file() and bronze not in path.parents and ".wal" not in path.suffixes
    ]
    assert any(p.suffix == ".parquet" and "marts" in p.parts for p in searched)
    assert any(p.name == "centroids.csv" for p in searched)
    assert any(p.suffix == ".db" for p in searched)  # the event log and the MLflow store
    assert [str(p.relative_to(root)) for p in searched if _raw_ids_in(p)] == []


def test_silver_meters_carry_pseudonyms_and_coarse_coordinates(
    pseudonymised: tuple[Path, Lake],
) -> None:
    _, lake = pseudonymised
    raw = frame(lake.read(BRONZE_METERS)).sort("meter_id")
    silver = frame(lake.read(SILVER_METERS))
    assert raw["meter_id"].str.starts_with(RAW_PREFIX).all()
    assert silver["meter_id"].str.starts_with("P-").all()
    assert silver["meter_id"].n_unique() == raw["meter_id"].n_unique()
    assert (silver["latitude"].round(2) == silver["latitude"]).all()


def test_a_run_switched_on_without_a_key_fails_before_writing_silver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lake").mkdir()
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    for name, value in {
        "ENERGY_LAKE_ROOT": str(tmp_path / "lake"),
        "DAGSTER_HOME": str(tmp_path),
        "ENERGY_SIM_METERS": "3",
        "ENERGY_SOURCES": "simulator",
        "ENERGY_PSEUDONYMISE": "1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ENERGY_PSEUDONYMISE_KEY", raising=False)
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize(
            defs.assets,
            instance=instance,
            resources=defs.resources,
            selection=[dg.AssetKey(["bronze", "meters"]), dg.AssetKey(["silver", "meters"])],
            raise_on_error=False,
        )
        assert not result.success
        failure = result.get_step_failure_events()[0].event_specific_data
        assert failure is not None and failure.error is not None
        assert "ENERGY_PSEUDONYMISE_KEY is not set" in failure.error.to_string()
        assert not Lake(str(tmp_path / "lake")).exists(SILVER_METERS)
