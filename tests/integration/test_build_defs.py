"""`build_defs` takes its settings and resources from the caller, so a test needs no environment
to pick a lake or a partitioning; importing the definitions' modules reads no setting."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from checks.contracts import BRONZE_METERS, GOLD_METER_CLUSTERS, SILVER_METER_READINGS
from energy_assets.defs.build import build_defs
from energy_assets.defs.forecasting.training import MODEL_KEY
from energy_assets.defs.resources import LakeResource
from energy_assets.defs.tables import key
from energy_assets.settings import DefinitionSettings
from energy_assets.storage.lake import Lake


def test_a_lake_resource_override_decides_where_assets_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENERGY_SIM_METERS", "3")
    monkeypatch.setenv("ENERGY_TRACK_EMISSIONS", "0")
    root = tmp_path / "elsewhere"
    defs = build_defs(resource_overrides={"lake": LakeResource(root=str(root))})
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey(["bronze", "meters"])]
        )
    assert result.success
    assert Lake(str(root)).read(BRONZE_METERS).num_rows == 3


def test_importing_every_defs_module_reads_no_setting() -> None:
    """A fresh interpreter imports each `energy_assets.defs` module with a start date that cannot
    be parsed: only building the definitions reads it."""
    script = (
        "import importlib, pkgutil, energy_assets.defs as package\n"
        "for module in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "    importlib.import_module(module.name)\n"
        "import energy_assets.defs.build\n"
    )
    env = {**os.environ, "ENERGY_START_DATE": "not-a-date", "ENERGY_TRAINING_CADENCE": "hourly"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    failed = subprocess.run(
        [sys.executable, "-c", "import energy_assets.definitions"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "not-a-date" in failed.stderr  # build_defs() is where the environment is read


MODEL_LIBRARIES = ("sklearn", "scipy", "xgboost", "mlflow", "matplotlib")
"""Imported by a step that needs them, never by building the definitions: every process that
loads them (`energy-lake`, `make dev`'s code server, each step process of a UI-launched run)
would pay for them."""


def test_building_the_definitions_imports_no_model_library() -> None:
    script = (
        "import sys, energy_assets.definitions\n"
        f"print(' '.join(m for m in {MODEL_LIBRARIES!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == []


def test_definitions_built_from_explicit_settings_follow_them() -> None:
    settings = DefinitionSettings(
        start_date=date(2025, 3, 1), training_cadence="monthly", forecast_issue_hour_utc=6
    )
    graph = build_defs(settings).resolve_asset_graph()

    days = graph.get(key(SILVER_METER_READINGS)).partitions_def
    periods = graph.get(MODEL_KEY).partitions_def
    assert isinstance(days, dg.DailyPartitionsDefinition)
    assert isinstance(periods, dg.MonthlyPartitionsDefinition)
    assert days.get_first_partition_key() == "2025-03-01"
    assert periods.get_partition_keys()[:2] == ["2025-03-01", "2025-04-01"]
    assert graph.get(key(GOLD_METER_CLUSTERS)).partitions_def.get_first_partition_key() == (
        "2025-03-01"
    )
    model = graph.assets_def_for_key(MODEL_KEY)
    assert model.specs_by_key[MODEL_KEY].metadata["training_cadence"] == "monthly"
