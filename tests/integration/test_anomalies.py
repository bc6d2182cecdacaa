"""Anomaly detection through real Dagster runs on the temporary lake: rows, checks, evaluation."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import polars as pl
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from checks.contracts import GOLD_ANOMALIES, GOLD_ANOMALY_EVALUATION
from energy_assets.definitions import defs
from energy_assets.defs.tables import key
from energy_assets.sources.anomaly_feedback import submit_feedback
from energy_assets.storage.lake import Lake
from tests.integration.pipeline import materialize_days, materialize_dimensions

FIRST, LAST = date(2024, 1, 8), date(2024, 1, 11)
ANOMALIES = dg.AssetSelection.assets(key(GOLD_ANOMALIES))
EVALUATION = dg.AssetSelection.assets(key(GOLD_ANOMALY_EVALUATION))


def _materialize_anomalies(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        defs.assets,
        instance=instance,
        resources=defs.resources,
        selection=ANOMALIES,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: FIRST.isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: LAST.isoformat(),
        },
    )


def test_anomalies_and_their_evaluation_are_materialized_with_checks_and_metadata(
    lake: Lake, instance: dg.DagsterInstance
) -> None:
    materialize_dimensions(instance)
    # Silver corrects Wh only between two edges in the meter's own series: build the days on
    # both sides of MTR-0003's Wh week (2024-01-08 .. 01-15).
    materialize_days(instance, FIRST - timedelta(days=3), LAST + timedelta(days=6))
    result = _materialize_anomalies(instance)

    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["matches_contract"].passed
    assert checks["inputs_present"].passed
    assert "severe_share" in checks
    found = pl.from_arrow(lake.read(GOLD_ANOMALIES))
    assert isinstance(found, pl.DataFrame)
    # MTR-0003 sends Wh as kWh on some days of this window; silver corrects them, and the
    # corrected days are still reported as one unit-error event.
    assert found.height > 0
    unit = found.filter(pl.col("anomaly_type") == "unit_error")
    assert unit["meter_id"].unique().to_list() == ["MTR-0003"]
    assert unit["event_id"].n_unique() == 1
    assert found["reason"].str.len_chars().min() > 20

    event = found.row(0, named=True)
    submit_feedback(lake.root, event["event_id"], event["meter_id"], "false_alarm", "test")
    again = _materialize_anomalies(instance)
    assert again.success
    marked = pl.from_arrow(lake.read(GOLD_ANOMALIES))
    assert isinstance(marked, pl.DataFrame)
    acknowledged = marked.filter(pl.col("event_id") == event["event_id"])
    assert acknowledged["feedback_verdict"].to_list() == ["false_alarm"] * acknowledged.height
    assert acknowledged["severity"].unique().to_list() == ["low"]

    evaluation = dg.materialize(
        defs.assets, instance=instance, resources=defs.resources, selection=EVALUATION
    )
    assert evaluation.success
    metadata = evaluation.asset_materializations_for_node("gold__anomaly_evaluation")[0].metadata
    assert {"overall_recall", "mlflow_run_id", "scores"} <= set(metadata)
    scores = pl.from_arrow(lake.read(GOLD_ANOMALY_EVALUATION))
    assert isinstance(scores, pl.DataFrame)
    overall = scores.filter(pl.col("anomaly_type") == "overall").row(0, named=True)
    assert overall["labelled_events"] > 0
    assert overall["first_day"] == FIRST and overall["last_day"] == LAST
