"""MLflow artifacts sit beside the tracking store, whatever folder the command runs in."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest

from energy_assets.defs.resources import MlflowResource
from energy_assets.storage.lake import Lake


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
