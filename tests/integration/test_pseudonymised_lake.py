"""A lake built with pseudonymised meter ids (the lake layers, a trained model, forecasts,
anomalies and their evaluation, segments, marts): outside bronze, no raw meter id anywhere, in any
table, mart export, DuckDB file, MLflow store or artifact, the Dagster event log or the captured
logs; the anomaly evaluation still matches the simulator's labels; and a run switched on without
a key fails before silver is written."""

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

from checks.contracts import (
    BRONZE_METERS,
    GOLD_ANOMALIES,
    GOLD_ANOMALY_EVALUATION,
    GOLD_FORECASTS,
    SILVER_METERS,
)
from energy_assets.definitions import defs
from energy_assets.defs.forecasting.training import MODEL_KEY
from energy_assets.defs.tables import key
from energy_assets.exploration.lake_tables import frame
from energy_assets.storage.lake import Lake
from tests.integration.pipeline import built_lake
from tests.integration.test_marts import materialize_marts, materialize_range

FIRST, LAST = date(2024, 1, 1), date(2024, 1, 14)
WEEK = "2024-01-08"
SMALL_TRAINING = {"train_days": 5, "holdout_days": 2, "num_boost_round": 20}
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

        def materialize(selection: dg.AssetSelection | list[dg.AssetKey], **kwargs: object) -> None:
            result = dg.materialize(
                defs.assets,
                instance=instance,
                resources=defs.resources,
                selection=selection,
                **kwargs,
            )
            assert result.success

        materialize(dg.AssetSelection.groups("segments"), partition_key="2024-01-01")
        materialize(
            [MODEL_KEY],
            partition_key=WEEK,
            run_config={"ops": {"ml__day_ahead_model": {"config": SMALL_TRAINING}}},
        )
        for table in (GOLD_FORECASTS, GOLD_ANOMALIES):
            selection = dg.AssetSelection.assets(key(table)).required_multi_asset_neighbors()
            assert materialize_range(instance, selection, date(2024, 1, 9), LAST).success
        materialize([key(GOLD_ANOMALY_EVALUATION)])
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


def test_anomaly_evaluation_matches_labels_by_their_pseudonyms(
    pseudonymised: tuple[Path, Lake],
) -> None:
    _, lake = pseudonymised
    scores = frame(lake.read(GOLD_ANOMALY_EVALUATION))
    overall = scores.filter(scores["anomaly_type"] == "overall").row(0, named=True)
    assert overall["labelled_events"] > 0
    assert overall["found_events"] > 0


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
