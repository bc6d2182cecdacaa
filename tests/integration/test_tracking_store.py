"""MLflow artifacts sit beside the tracking store, whatever folder the command runs in; period
models are found and loaded once per process, and a new version is never missed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

import ml.tracking as ml_tracking
from energy_assets.defs.resources import MlflowResource
from energy_assets.storage.lake import Lake
from ml.tracking import PARTITION_TAG, load_predictor, model_for_partition


def test_artifacts_of_a_sqlite_tracking_uri_go_beside_it_not_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "x"
    store.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
    try:
        experiment = MlflowResource().connect(Lake(str(tmp_path / "lake")))
        with mlflow.start_run(experiment_id=experiment):
            mlflow.log_dict({"a": 1}, "note.json")
    finally:
        mlflow.set_tracking_uri(None)
    assert list((store / "artifacts").rglob("note.json"))
    assert not (elsewhere / "mlruns").exists()


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[MlflowClient]:
    """An empty registry in a SQLite store under `tmp_path`, both URIs set as
    `MlflowResource.connect` sets them."""
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_registry_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        yield MlflowClient()
    finally:
        mlflow.set_tracking_uri(None)


def _register(client: MlflowClient, tmp_path: Path, partition: str) -> str:
    """A new version of model `m` tagged with `partition`, from a run of its own."""
    if not client.search_registered_models("name = 'm'"):
        client.create_registered_model("m")
    run = client.create_run(client.create_experiment(f"e{time.time_ns()}")).info.run_id
    version = client.create_model_version(
        "m", str(tmp_path), run_id=run, tags={PARTITION_TAG: partition}
    )
    return str(version.version)


def _counting_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    loads: list[str] = []

    def load_model(uri: str) -> object:
        loads.append(uri)
        return object()

    monkeypatch.setattr(mlflow.pyfunc, "load_model", load_model)
    return loads


def test_the_latest_version_of_a_partition_is_found_even_when_registered_after_a_lookup(
    registry: MlflowClient, tmp_path: Path
) -> None:
    _register(registry, tmp_path, "2024-01-01")
    _register(registry, tmp_path, "2024-02-01")
    assert model_for_partition("m", "2024-01-01") == model_for_partition("m", "2024-01-01")
    found = model_for_partition("m", "2024-01-01")
    assert found is not None and found.version == "1"
    newer = _register(registry, tmp_path, "2024-01-01")
    again = model_for_partition("m", "2024-01-01")
    assert again is not None and again.version == newer == "3"
    assert model_for_partition("m", "2024-03-01") is None
    assert model_for_partition("unknown", "2024-01-01") is None


def test_a_numbered_version_is_loaded_once_per_process_and_an_alias_each_time(
    registry: MlflowClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = _counting_loads(monkeypatch)
    version = _register(registry, tmp_path, "2024-01-01")
    registry.set_registered_model_alias("m", "champion", version)
    assert load_predictor("models:/m/1") is load_predictor("models:/m/1")
    load_predictor("models:/m@champion")
    load_predictor("models:/m@champion")
    assert loads == ["models:/m/1", "models:/m@champion", "models:/m@champion"]


def test_a_model_registered_again_under_its_old_numbers_is_not_served_the_old_versions(
    registry: MlflowClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = _counting_loads(monkeypatch)
    _register(registry, tmp_path, "2024-01-01")
    first = load_predictor("models:/m/1")
    registry.delete_registered_model("m")
    assert _register(registry, tmp_path, "2024-01-01") == "1"
    assert load_predictor("models:/m/1") is not first
    assert loads == ["models:/m/1", "models:/m/1"]


def test_the_oldest_loaded_version_makes_room_for_a_new_one(
    registry: MlflowClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = _counting_loads(monkeypatch)
    monkeypatch.setattr(ml_tracking, "_LOADED", {})
    monkeypatch.setattr(ml_tracking, "MAX_LOADED", 2)
    for _ in range(3):
        _register(registry, tmp_path, "2024-01-01")
    for version in ("1", "2", "3", "3", "1"):
        load_predictor(f"models:/m/{version}")
    assert loads == ["models:/m/1", "models:/m/2", "models:/m/3", "models:/m/1"]
