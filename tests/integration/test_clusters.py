"""Load-profile clustering through a real Dagster run on a temporary simulated lake: the monthly
asset's tables, its checks, its MLflow run, and the clusters judged against the simulator's
customer types."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import pytest
from mlflow import MlflowClient

from checks.contracts import GOLD_CLUSTER_CENTROIDS, GOLD_CONSUMPTION_FEATURES, GOLD_METER_CLUSTERS
from energy_assets.definitions import defs
from energy_assets.defs.lake.bronze import key
from energy_assets.defs.resources import MlflowResource
from energy_assets.defs.segments.assets import EXPERIMENT
from energy_assets.exploration.lake_tables import frame
from energy_assets.storage.lake import Lake
from tests.integration.pipeline import built_lake

FIRST, LAST = date(2024, 1, 1), date(2024, 1, 21)
MONTH = "2024-01-01"
METERS = 40
"""Enough meters for every simulated customer type to form a group (4 industrial, 4 prosumers)."""


@pytest.fixture(scope="module")
def clustered(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Lake, dg.ExecuteInProcessResult]]:
    root = tmp_path_factory.mktemp("clusters")
    env = {"ENERGY_SIM_METERS": str(METERS), "MLFLOW_DISABLE_TELEMETRY": "true"}
    with built_lake(root, FIRST, LAST, env) as instance:
        result = dg.materialize(
            defs.assets,
            instance=instance,
            resources=defs.resources,
            selection=dg.AssetSelection.groups("segments"),
            partition_key=MONTH,
        )
        yield Lake(str(root / "lake")), result


def logged_months(result: dg.ExecuteInProcessResult) -> list[Any]:
    value = result.asset_materializations_for_node("meter_clusters")[0].metadata["months"]
    assert isinstance(value, dg.JsonMetadataValue)
    return list(value.data)  # type: ignore[arg-type]


def test_every_meter_gets_a_segment_and_the_checks_pass(
    clustered: tuple[Lake, dg.ExecuteInProcessResult],
) -> None:
    lake, result = clustered
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert {e.asset_key for e in evaluations} == {
        key(GOLD_METER_CLUSTERS),
        key(GOLD_CLUSTER_CENTROIDS),
    }
    assert all(e.passed for e in evaluations)
    meters = frame(lake.read(GOLD_METER_CLUSTERS))
    seen = frame(lake.read(GOLD_CONSUMPTION_FEATURES, FIRST, LAST, ["meter_id"]))["meter_id"]
    assert sorted(meters["meter_id"].to_list()) == sorted(seen.cast(pl.String).unique().to_list())
    assert set(meters["day"].to_list()) == {date(2024, 1, 1)}
    centroids = frame(lake.read(GOLD_CLUSTER_CENTROIDS))
    clustered_ids = set(meters["cluster_id"].drop_nulls().to_list())
    assert set(centroids["cluster_id"].to_list()) == clustered_ids
    assert centroids.group_by("cluster_id").len()["len"].to_list() == [48] * len(clustered_ids)


def test_clusters_recover_the_simulated_customer_types(
    clustered: tuple[Lake, dg.ExecuteInProcessResult],
) -> None:
    _, result = clustered
    [month] = logged_months(result)
    assert month["adjusted_rand_customer_type"] >= 0.8
    assert 3 <= month["k"] <= 4


def test_the_month_is_logged_to_mlflow_without_meter_ids(
    clustered: tuple[Lake, dg.ExecuteInProcessResult], tmp_path: Path
) -> None:
    lake, result = clustered
    MlflowResource().connect(lake, EXPERIMENT)
    client = MlflowClient()
    [month] = logged_months(result)
    run = client.get_run(month["mlflow_run_id"])
    assert run.data.metrics["k"] == month["k"]
    assert run.data.tags["dagster_run_id"] == result.run_id
    assert {"silhouette", "adjusted_rand_customer_type"} <= set(run.data.metrics)
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert artifacts == {"centroids.csv", "centroids.png"}
    csv = pl.read_csv(client.download_artifacts(run.info.run_id, "centroids.csv", str(tmp_path)))
    assert len(csv) == 48 * month["k"]
    logged = " ".join([*map(str, run.data.params.values()), *run.data.tags.values()])
    assert "MTR-" not in logged + Path(tmp_path / "centroids.csv").read_text()
