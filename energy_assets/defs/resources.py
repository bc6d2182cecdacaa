"""Dagster resources: where the lake is; where MLflow tracking and artifacts live, and what every
run is tagged with.

Ours rather than `dagster-mlflow` (beta, not a ConfigurableResource, ends runs early): it points
MLflow at a SQLite store and an artifact folder under the lake, unless `MLFLOW_TRACKING_URI` (or
the resource's `tracking_uri`) says otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from energy_assets.settings import DEFAULT_LAKE_ROOT, configured_lake, mlflow_tracking_uri
from energy_assets.storage.lake import Lake

TELEMETRY_OFF = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}


class LakeResource(dg.ConfigurableResource):
    """The lake root; empty means `ENERGY_LAKE_ROOT`, else `lake/` in the repository."""

    root: str = ""

    def lake(self) -> Lake:
        return Lake(root=self.root) if self.root else configured_lake()


class MlflowResource(dg.ConfigurableResource):
    """MLflow tracking for the forecasting assets.

    Empty `tracking_uri` means `MLFLOW_TRACKING_URI`, else `sqlite:///<lake>/mlflow/mlflow.db`
    (a local lake; an object-store lake keeps it in `./lake/mlflow`). A new experiment keeps its
    artifacts in `artifact_root`, else in `artifacts/` beside a SQLite store, else where the
    tracking server decides.
    """

    tracking_uri: str = ""
    artifact_root: str = ""
    experiment: str = "day_ahead_consumption"
    model_name: str = "day_ahead_consumption"

    def folder(self, lake: Lake) -> Path:
        root = Path(lake.root.removeprefix("file://")) if lake.is_local else DEFAULT_LAKE_ROOT
        return root.resolve() / "mlflow"

    def connect(self, lake: Lake, experiment: str | None = None) -> str:
        """Point MLflow at the store, create the experiment (default: the resource's) if needed,
        and return its id."""
        for name, value in TELEMETRY_OFF.items():
            os.environ.setdefault(name, value)
        import mlflow

        from ml.tracking import artifacts_beside, default_tracking_uri, experiment_id

        uri = self.tracking_uri or mlflow_tracking_uri() or default_tracking_uri(self.folder(lake))
        artifacts = self.artifact_root or artifacts_beside(uri)
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        return experiment_id(experiment or self.experiment, artifacts)
