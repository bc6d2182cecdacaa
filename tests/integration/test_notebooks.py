"""The marimo notebooks, headless, against a small lake built once for the module.

The lake holds January 2024 for 6 simulated meters, a champion model trained on it, the
forecasts of its last days and a few `gold/anomalies` rows shaped by the contract from the
simulator's labelled events. Every notebook runs as a script (`python notebooks/x.py`, which
exits non-zero on any cell error); the same notebooks on an empty lake say what to build; the
what-if app is loaded in-process and its forecast follows the temperature.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import dagster as dg
import mlflow
import polars as pl
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from checks.contracts import BRONZE_ANOMALY_LABELS, GOLD_ANOMALIES, SILVER_METERS
from energy_assets.definitions import defs
from energy_assets.defs.forecasting.training import MODEL_KEY
from energy_assets.exploration.lake_tables import frame
from energy_assets.sources.anomaly_feedback import read_feedback
from energy_assets.storage.lake import Lake
from tests.integration.pipeline import built_lake

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
FIRST, LAST = date(2024, 1, 1), date(2024, 1, 31)
WEEK = "2024-01-29"
FORECAST_DAYS = (date(2024, 1, 29), date(2024, 1, 30))
SMALL_TRAINING = {"train_days": 21, "holdout_days": 3, "num_boost_round": 40}
QUIET = {
    "DO_NOT_TRACK": "1",
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MARIMO_SKIP_UPDATE_CHECK": "1",
}


def anomaly_rows(lake: Lake) -> Any:
    """Contract rows of `gold/anomalies`, one per labelled event-day of the simulator."""
    labels = frame(lake.read(BRONZE_ANOMALY_LABELS))
    regions = frame(lake.read(SILVER_METERS, columns=["meter_id", "region"]))
    severities = ["high", "medium", "low"]
    return (
        labels.join(regions, on="meter_id", how="left")
        .with_columns(
            event_id=pl.format(
                "{}:{}:{}",
                "meter_id",
                "anomaly_type",
                pl.col("start_utc").min().over("event_id").dt.to_string("%Y-%m-%dT%H:%M"),
            ),
            event_start_utc=pl.col("start_utc").min().over("event_id"),
            event_end_utc=pl.col("end_utc").max().over("event_id"),
            interval_count=pl.lit(4, pl.Int32),
            energy_kwh=pl.col("magnitude"),
            expected_kwh=pl.lit(1.0),
            expected_low_kwh=pl.lit(0.5),
            expected_high_kwh=pl.lit(1.5),
            expected_source=pl.lit("profile"),
            score=pl.int_range(pl.len()).cast(pl.Float64) + 1.0,
            severity=pl.Series([severities[i % 3] for i in range(labels.height)], dtype=pl.String),
            detectors=pl.col("anomaly_type"),
            reason=pl.col("description"),
            feedback_verdict=pl.lit(None, pl.String),
            detected_at_utc=pl.lit(datetime(2024, 2, 1, tzinfo=UTC)),
        )
        .select(GOLD_ANOMALIES.columns)
        .to_arrow()
        .cast(GOLD_ANOMALIES.schema)
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    """January 2024 through real Dagster runs, a champion trained on it, two days of
    forecasts, and anomaly rows; MLflow in the lake's own store, as `make demo` leaves it."""
    root = tmp_path_factory.mktemp("notebooks")
    with built_lake(root, FIRST, LAST, QUIET) as instance:
        assert dg.materialize(
            defs.assets,
            instance=instance,
            resources=defs.resources,
            selection=[MODEL_KEY],
            partition_key=WEEK,
            run_config={"ops": {"ml__day_ahead_model": {"config": SMALL_TRAINING}}},
        ).success
        assert dg.materialize(
            defs.assets,
            instance=instance,
            resources=defs.resources,
            selection=[
                dg.AssetKey(["gold", "forecasts"]),
                dg.AssetKey(["gold", "region_forecasts"]),
            ],
            tags={
                ASSET_PARTITION_RANGE_START_TAG: FORECAST_DAYS[0].isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: FORECAST_DAYS[1].isoformat(),
            },
        ).success
        lake = Lake(str(root / "lake"))
        rows = anomaly_rows(lake)
        lake.replace_window(GOLD_ANOMALIES, rows, FIRST, LAST + timedelta(days=1))
        yield lake


def notebook_env(lake_root: Path | str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    return {**env, **QUIET, "ENERGY_LAKE_ROOT": str(lake_root)}


def run_script(notebook: Path, lake_root: Path | str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(notebook)],
        env=notebook_env(lake_root),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def load_notebook(notebook: Path) -> ModuleType:
    """The notebook as a module (its setup cell runs: read the environment first)."""
    spec = importlib.util.spec_from_file_location(f"notebook_{notebook.stem}", notebook)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shown_text(outputs: Any) -> str:
    """Everything the cells displayed, as text (HTML tags removed)."""
    html = " ".join(getattr(o, "text", "") for o in outputs if o is not None)
    return re.sub(r"<[^>]+>", "", html)


def test_the_five_notebooks_are_there() -> None:
    assert [n.stem for n in NOTEBOOKS] == [
        "anomalies",
        "consumption",
        "forecasts",
        "lake_overview",
        "what_if",
    ]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda n: n.stem)
def test_notebook_runs_headless_on_the_built_lake_without_a_cell_error(
    built: Lake, notebook: Path
) -> None:
    result = run_script(notebook, built.root)

    assert result.returncode == 0, result.stderr[-4000:]


def test_marimo_check_passes() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "marimo"), "check", "--strict", "notebooks"],
        env=notebook_env(ROOT / "lake"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("forecasts", "gold/forecasts is not built yet"),
        ("anomalies", "gold/anomalies is not built yet"),
        ("what_if", "No champion model yet"),
        ("consumption", "No consumption features yet"),
        ("lake_overview", "is empty: run"),
    ],
)
def test_on_an_empty_lake_each_notebook_says_what_to_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, expected: str
) -> None:
    (tmp_path / "lake").mkdir()
    for key, value in notebook_env(tmp_path / "lake").items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)

    outputs, _ = load_notebook(ROOT / "notebooks" / f"{name}.py").app.run()

    assert expected in shown_text(outputs)
    assert not (tmp_path / "lake" / "mlflow").exists()


@pytest.fixture
def in_lake(built: Lake, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lake]:
    """The built lake as the environment of notebooks run in this process (the notebooks
    point MLflow at its store; that is undone afterwards)."""
    for key, value in notebook_env(built.root).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    yield built
    mlflow.set_tracking_uri(None)


def test_what_if_forecast_follows_the_temperature_slider(in_lake: Lake) -> None:
    app = load_notebook(ROOT / "notebooks" / "what_if.py").app

    def day_total(temperature_c: float) -> float:
        _, defs = app.run(
            defs={"conditions": {"mean_temperature_c": temperature_c, "day_type": "as scheduled"}}
        )
        curve = defs["curve"]
        assert curve.height > 0 and curve["fallback_meters"].max() < curve["meters"].max()
        return float(curve["forecast_kwh"].sum())

    cold, mild = day_total(-5.0), day_total(20.0)

    assert cold != pytest.approx(mild, rel=1e-3)


def test_anomaly_verdict_is_written_through_the_feedback_input(in_lake: Lake) -> None:
    app = load_notebook(ROOT / "notebooks" / "anomalies.py").app
    pressed = {
        "verdict": SimpleNamespace(value="false_alarm"),
        "note": SimpleNamespace(value="meter swap, known"),
        "submit": SimpleNamespace(value=True),
    }

    outputs, defs = app.run(defs=pressed)

    feedback = frame(read_feedback(in_lake.root))
    assert feedback.select("event_id", "verdict", "note").rows() == [
        (defs["event_id"], "false_alarm", "meter swap, known")
    ]
    assert f"Recorded false_alarm for {defs['event_id']}" in shown_text(outputs)
