"""Forecasting through real Dagster runs on a temporary lake: weekly training logged and registered
in MLflow, champion/challenger, leakage-free day-ahead forecasts and named fallbacks.

The lake (6 meters, January 2024) is built once for the module; each test has its own MLflow
store so registry state never leaks between tests.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import mlflow
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from mlflow import MlflowClient

import ml.tracking as ml_tracking
from checks.contracts import (
    BRONZE_QUARANTINE,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_FORECAST_BACKTEST,
    GOLD_FORECASTS,
    GOLD_REGION_FORECASTS,
    SILVER_METER_READINGS,
)
from energy_assets.definitions import defs
from energy_assets.defs.forecasting.backtest import BACKTEST_KEY
from energy_assets.defs.forecasting.training import MODEL_KEY
from energy_assets.defs.resources import MlflowResource
from energy_assets.defs.tables import key
from energy_assets.storage.lake import Lake
from energy_assets.transforms.day_ahead import gold_features
from ml.forecasting.backtest import daily_scores, run_backtest
from ml.forecasting.inputs import MODEL_INPUTS, model_inputs
from ml.forecasting.model import Predictor, TrainingParams
from ml.tracking import CHAMPION, OUTPUTS, load_predictor, model_frame
from tests.integration.pipeline import built_lake

FIRST, LAST = date(2024, 1, 1), date(2024, 1, 31)
WEEK = "2024-01-29"  # trained on days before it; forecasts issued in its days: 01-30..02-05
TARGET = date(2024, 1, 30)
FORECASTS = [dg.AssetKey(["gold", "forecasts"]), dg.AssetKey(["gold", "region_forecasts"])]
SMALL = {"train_days": 21, "holdout_days": 3, "num_boost_round": 40}
MODEL_NAME = MlflowResource().model_name
ISSUE_HOUR_UTC = 12


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    """A lake with every layer of January 2024, and a Dagster instance, for the whole module."""
    root = tmp_path_factory.mktemp("forecasting")
    with built_lake(root, FIRST, LAST, {"MLFLOW_DISABLE_TELEMETRY": "true"}):
        yield Lake(str(root / "lake"))


@pytest.fixture
def tracking(built: Lake, tmp_path: Path) -> Iterator[MlflowResource]:
    """An MLflow store of the test's own, with artifacts beside it."""
    resource = MlflowResource(
        tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        artifact_root=(tmp_path / "artifacts").as_uri(),
    )
    yield resource
    mlflow.set_tracking_uri(None)


def run(
    resource: MlflowResource,
    selection: list[dg.AssetKey],
    partition: str,
    config: dict[str, object] | None = None,
) -> dg.ExecuteInProcessResult:
    with dg.DagsterInstance.get() as instance:
        return dg.materialize(
            defs.assets,
            instance=instance,
            resources={**defs.resources, "mlflow_tracking": resource},
            selection=selection,
            partition_key=partition,
            run_config=(
                {"ops": {"ml__day_ahead_model": {"config": config}}} if config is not None else None
            ),
        )


def train(resource: MlflowResource, **config: object) -> dg.ExecuteInProcessResult:
    return run(resource, [MODEL_KEY], WEEK, {**SMALL, **config})


def forecasts_of(lake: Lake, day: date) -> pa.Table:
    table = lake.read(GOLD_FORECASTS, day, day + timedelta(days=1))
    return table.sort_by([("meter_id", "ascending"), ("interval_start_utc", "ascending")])


def test_training_logs_a_run_with_baselines_and_registers_the_first_champion(
    built: Lake, tracking: MlflowResource
) -> None:
    result = train(tracking)

    assert result.success
    metadata = result.asset_materializations_for_node("ml__day_ahead_model")[0].metadata
    assert metadata["trained"].value is True
    run_id = metadata["mlflow_run_id"].value
    logged = MlflowClient().get_run(run_id)
    for name in ("mae", "rmse", "mape", "pinball", "coverage_p10_p90", "skill_vs_best_baseline"):
        assert name in logged.data.metrics, name
    assert "same_time_last_week_mae" in logged.data.metrics
    assert "vanilla_mae" in logged.data.metrics
    assert "region_mape" in logged.data.metrics
    assert logged.data.tags["dagster_run_id"] == result.run_id
    assert logged.data.tags["dagster_partition"] == WEEK
    assert logged.data.tags["training_window"] == "[2024-01-08, 2024-01-29)"
    assert int(logged.data.tags["delta_version_gold/consumption_features"]) >= 0
    artifacts = {a.path for a in MlflowClient().list_artifacts(run_id)}
    assert {"feature_importance.json", "residuals.png", "vanilla_regressions.json"} <= artifacts
    champion = MlflowClient().get_model_version_by_alias(MODEL_NAME, CHAMPION)
    assert str(champion.version) == metadata["model_version"].value == "1"
    assert logged.data.tags["champion_decision"] == "no champion yet"
    for tag in ("dagster_run_id", "dagster_partition", "training_window", "holdout_window"):
        assert champion.tags[tag] == logged.data.tags[tag], tag
    assert logged.outputs is not None
    model_id = logged.outputs.model_outputs[0].model_id
    linked = {m.key for m in MlflowClient().get_logged_model(model_id).metrics or []}
    assert {"mae", "rmse", "vanilla_mae"} <= linked


def test_the_champion_moves_only_to_a_challenger_that_beats_it(
    built: Lake, tracking: MlflowResource
) -> None:
    assert train(tracking).success
    weaker = train(tracking, num_boost_round=1)

    metadata = weaker.asset_materializations_for_node("ml__day_ahead_model")[0].metadata
    assert metadata["model_version"].value == "2"
    assert metadata["champion_promoted"].value is False
    assert "does not beat champion v1" in metadata["champion_decision"].value
    # The residual plot is drawn for champions only.
    artifacts = {a.path for a in MlflowClient().list_artifacts(metadata["mlflow_run_id"].value)}
    assert "residuals.png" not in artifacts and "feature_importance.json" in artifacts
    assert str(MlflowClient().get_model_version_by_alias(MODEL_NAME, CHAMPION).version) == "1"


def test_a_forecast_uses_the_week_model_and_only_what_was_known_at_issue_time(
    built: Lake, tracking: MlflowResource
) -> None:
    assert train(tracking).success
    assert run(tracking, FORECASTS, TARGET.isoformat()).success
    before = forecasts_of(built, TARGET)

    assert (
        before.num_rows
        == built.read(SILVER_METER_READINGS, TARGET, TARGET + timedelta(days=1)).num_rows
    )
    assert set(before["issued_at_utc"].to_pylist()) == {datetime(2024, 1, 29, 12, tzinfo=UTC)}
    assert set(before["model_version"].to_pylist()) == {"1"}
    assert pc.sum(pc.equal(before["model_used"], MODEL_NAME)).as_py() > before.num_rows / 2

    # Readings after the issue time change: the target day itself and the afternoon before.
    issue = datetime(2024, 1, 29, 12, tzinfo=UTC)
    for table in (SILVER_METER_READINGS, GOLD_CONSUMPTION_FEATURES):
        low = date(2024, 1, 29)
        rows = built.read(table, low, TARGET + timedelta(days=1))
        later = pc.greater_equal(rows["interval_start_utc"], pa.scalar(issue))
        tripled = pc.if_else(later, pc.multiply(rows["energy_kwh"], 3.0), rows["energy_kwh"])
        changed = rows.set_column(rows.schema.get_field_index("energy_kwh"), "energy_kwh", tripled)
        built.replace_window(table, changed, low, TARGET + timedelta(days=1))
    assert run(tracking, FORECASTS, TARGET.isoformat()).success

    assert forecasts_of(built, TARGET).equals(before)


def test_a_day_without_a_trained_model_still_gets_every_forecast_from_a_named_fallback(
    built: Lake, tracking: MlflowResource
) -> None:
    day = date(2024, 1, 10)
    result = run(tracking, FORECASTS, day.isoformat())

    assert result.success
    rows = forecasts_of(built, day)
    assert rows.num_rows == built.read(SILVER_METER_READINGS, day, day + timedelta(days=1)).num_rows
    assert all(used.startswith("fallback:") for used in rows["model_used"].to_pylist())
    assert set(rows["fallback_reason"].to_pylist()) == {"no trained model for this target day"}
    assert rows["model_version"].null_count == rows.num_rows
    regions = built.read(GOLD_REGION_FORECASTS, day, day + timedelta(days=1))
    assert regions.num_rows > 0
    assert pc.sum(regions["forecast_kwh"]).as_py() == pytest.approx(
        pc.sum(rows["forecast_kwh"]).as_py()
    )
    checks = result.get_asset_check_evaluations()
    assert all(e.passed for e in checks if e.check_name == "matches_contract")
    assert not next(e for e in checks if e.check_name == "fallback_share").passed


def test_a_forecast_row_the_contract_refuses_is_quarantined_and_the_other_rows_land(
    built: Lake, tracking: MlflowResource, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert train(tracking).success
    first, last = TARGET, TARGET + timedelta(days=1)
    readings = built.read(SILVER_METER_READINGS, first, last + timedelta(days=1))
    broken = sorted(set(readings["meter_id"].to_pylist()))[0]
    nan_rows: list[int] = []
    load = ml_tracking.load_predictor

    def load_breaking_one_meter(model_uri: str) -> Predictor:
        predict = load(model_uri)

        def predictor(inputs: pl.DataFrame) -> np.ndarray:
            quantiles = predict(inputs).copy()
            of_meter = (inputs["meter_id"].cast(pl.String) == broken).to_numpy()
            quantiles[of_meter, 1] = np.nan
            nan_rows.append(int(of_meter.sum()))
            return quantiles

        return predictor

    monkeypatch.setattr(ml_tracking, "load_predictor", load_breaking_one_meter)
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize(
            defs.assets,
            instance=instance,
            resources={**defs.resources, "mlflow_tracking": tracking},
            selection=FORECASTS,
            tags={
                ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
            },
        )

    assert result.success
    refused = sum(nan_rows)
    assert refused > 0
    quarantine = pl.DataFrame(
        built.read(BRONZE_QUARANTINE, first, last + timedelta(days=1))
    ).filter(pl.col("rejected_by") == f"checks:{GOLD_FORECASTS.path}")
    assert quarantine.height == refused
    assert set(quarantine["meter_id"]) == {broken}
    assert set(quarantine["day"]) == {first, last}
    assert all("matches_contract" in r and "forecast_kwh" in r for r in quarantine["reason"])
    written = built.read(GOLD_FORECASTS, first, last + timedelta(days=1))
    assert written.num_rows == readings.num_rows - refused
    others = pc.not_equal(readings["meter_id"], broken)
    assert pc.sum(pc.not_equal(written["meter_id"], broken)).as_py() == pc.sum(others).as_py()
    regions = built.read(GOLD_REGION_FORECASTS, first, last + timedelta(days=1))
    assert set(regions["day"].to_pylist()) == {first, last}
    materialized = next(
        m
        for m in result.asset_materializations_for_node("day_ahead_forecasts")
        if m.asset_key == key(GOLD_FORECASTS)
    )
    assert materialized.metadata["refused_rows"].value == refused
    contract = next(
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key == key(GOLD_FORECASTS) and e.check_name == "matches_contract"
    )
    assert contract.passed
    assert contract.metadata["quarantined_rows"].value == refused


def backtest(resource: MlflowResource) -> dg.ExecuteInProcessResult:
    with dg.DagsterInstance.get() as instance:
        return dg.materialize(
            defs.assets,
            instance=instance,
            resources={**defs.resources, "mlflow_tracking": resource},
            selection=[BACKTEST_KEY],
            run_config={"ops": {"ml__day_ahead_backtest": {"config": SMALL}}},
        )


def test_the_backtest_reuses_the_registered_week_model_and_scores_as_a_new_fit(
    built: Lake, tracking: MlflowResource
) -> None:
    assert train(tracking).success
    result = backtest(tracking)

    assert result.success
    metadata = result.asset_materializations_for_node("ml__day_ahead_backtest")[0].metadata
    assert metadata["periods_reused"].value == 1
    assert "registered model version 1" in metadata["periods"].value
    # The same booster as a fresh fit of the week: the medians score alike, day by day.
    fresh = run_backtest(
        gold_features(built, None, None), TrainingParams(**SMALL), ISSUE_HOUR_UTC, "weekly"
    )
    assert not isinstance(fresh, str)
    week = pl.col("day") > date.fromisoformat(WEEK)
    scored = pl.col("forecaster") == "forecast"
    written = pl.from_arrow(built.read(GOLD_FORECAST_BACKTEST))
    assert isinstance(written, pl.DataFrame)
    columns = ["level", "entity_id", "day", "forecast_kwh", "mae_kwh"]
    expected = daily_scores(fresh.forecasts).filter(week & scored).select(columns)
    reused = written.filter(week & scored).select(columns).sort("level", "entity_id", "day")
    assert reused.height == expected.height > 0
    for column in ("forecast_kwh", "mae_kwh"):
        assert reused[column].to_numpy() == pytest.approx(expected[column].to_numpy(), rel=1e-6)


def test_the_backtest_trains_a_period_whose_registered_model_saw_another_lake(
    built: Lake, tracking: MlflowResource
) -> None:
    assert train(tracking).success
    # A later write to the features: the registered model no longer saw the lake as it is.
    day = date(2024, 1, 2)
    built.replace_window(
        GOLD_CONSUMPTION_FEATURES,
        built.read(GOLD_CONSUMPTION_FEATURES, day, day + timedelta(days=1)),
        day,
        day + timedelta(days=1),
    )
    result = backtest(tracking)

    assert result.success
    metadata = result.asset_materializations_for_node("ml__day_ahead_backtest")[0].metadata
    assert metadata["periods_reused"].value == 0


FORECAST_DAYS = defs.resolve_asset_graph().get(key(GOLD_FORECASTS)).partitions_def
TRAINING_PERIODS = defs.resolve_asset_graph().get(MODEL_KEY).partitions_def


def test_tomorrow_is_a_forecast_partition() -> None:
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    assert FORECAST_DAYS.get_last_partition_key() == tomorrow.isoformat()


def test_a_monday_forecast_depends_on_the_previous_week_model_it_uses() -> None:
    mapping = defs.resolve_asset_graph().get_partition_mapping(key(GOLD_FORECASTS), MODEL_KEY)

    def model_of(day: str) -> list[str]:
        days = FORECAST_DAYS.subset_with_partition_keys([day])
        mapped = mapping.get_upstream_mapped_partitions_result_for_partitions(
            days, FORECAST_DAYS, TRAINING_PERIODS
        )
        return list(mapped.partitions_subset.get_partition_keys())

    assert model_of("2024-04-08") == ["2024-04-01"]  # a Monday, issued on Sunday
    assert model_of("2024-04-09") == ["2024-04-08"]
    assert model_of("2024-04-14") == ["2024-04-08"]
    downstream = mapping.get_downstream_partitions_for_partitions(
        TRAINING_PERIODS.subset_with_partition_keys(["2024-04-08"]), TRAINING_PERIODS, FORECAST_DAYS
    )
    assert sorted(downstream.get_partition_keys()) == [f"2024-04-{d:02d}" for d in range(9, 16)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], attempts: int = 240) -> None:
    for _ in range(attempts):
        if process.poll() is not None:
            raise RuntimeError(f"mlflow models serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} never answered")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and its workers (its own process group); kill what ignores SIGTERM."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_the_champion_answers_forecasts_over_rest_on_loopback(
    built: Lake, tracking: MlflowResource, tmp_path: Path
) -> None:
    assert train(tracking).success
    features = pl.from_arrow(built.read(GOLD_CONSUMPTION_FEATURES, date(2024, 1, 10), TARGET))
    assert isinstance(features, pl.DataFrame)
    inputs = model_inputs(features.filter(pl.col("day") == date(2024, 1, 25)), features, 12)
    rows = inputs.drop_nulls(list(MODEL_INPUTS)).head(4)
    expected = load_predictor(f"models:/{MODEL_NAME}@{CHAMPION}")(rows)
    port = free_port()
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": tracking.tracking_uri,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # uvicorn
    }
    command = [str(Path(sys.executable).parent / "mlflow"), "models", "serve"]
    command += ["-m", f"models:/{MODEL_NAME}@{CHAMPION}", "--env-manager", "local"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/ping", process)
            body = json.dumps({"dataframe_split": model_frame(rows).to_dict(orient="split")})
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/invocations",
                data=body.encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = json.loads(response.read())
        finally:
            stop_server(process)

    predictions = answer["predictions"]
    assert [sorted(p) for p in predictions] == [sorted(OUTPUTS)] * 4
    served = np.array([[p[name] for name in OUTPUTS] for p in predictions])
    assert served == pytest.approx(expected)
