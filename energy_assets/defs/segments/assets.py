"""Gold load-profile segments per month: `gold/meter_clusters` and `gold/cluster_centroids`.

Monthly partitions over the daily features. A run over several months clusters them in order,
so each month matches its centroids to the month before (read back from the lake, whether this
run or an earlier one wrote it). Each month is one MLflow run in the `meter_clusters` experiment.
"""

import math
from datetime import date
from typing import Any

import dagster as dg
import polars as pl
import pyarrow as pa

from checks.contracts import GOLD_CLUSTER_CENTROIDS, GOLD_CONSUMPTION_FEATURES, GOLD_METER_CLUSTERS
from energy_assets.defs.check_suites import CheckSuite, matches_contract
from energy_assets.defs.domain import DomainDefs
from energy_assets.defs.lake.bronze import key
from energy_assets.defs.partitions import SINGLE_RUN, Partitioning
from energy_assets.defs.resources import LakeResource, MlflowResource
from energy_assets.defs.tables import write_metadata
from energy_assets.storage.lake import Lake, WriteResult
from ml.clustering.monthly import MonthlyClusters, cluster_month, previous_centroids

EXPERIMENT = "meter_clusters"
FEATURE_COLUMNS = [
    "meter_id",
    "customer_type",
    "local_date",
    "local_hour",
    "interval_minutes",
    "energy_kwh",
    "is_weekend",
    "is_holiday",
]
SUITES = {
    table.path: CheckSuite(key(table), [matches_contract(table)])
    for table in (GOLD_METER_CLUSTERS, GOLD_CLUSTER_CENTROIDS)
}


def _month_after(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _month_before(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _cluster(store: Lake, month: date) -> MonthlyClusters:
    """The month's clusters, following the previous month's as the lake holds them."""
    before = _month_before(month)
    earlier = _frame(store.read(GOLD_CLUSTER_CENTROIDS, date.min, month, ["cluster_id"]))
    return cluster_month(
        _frame(store.read(GOLD_CONSUMPTION_FEATURES, month, _month_after(month), FEATURE_COLUMNS)),
        month,
        _frame(store.read(GOLD_METER_CLUSTERS, before, month)),
        previous_centroids(_frame(store.read(GOLD_CLUSTER_CENTROIDS, before, month))),
        next_free=max(earlier["cluster_id"].to_list(), default=-1) + 1,
    )


def meter_clusters(
    context: dg.AssetExecutionContext, lake: LakeResource, mlflow_tracking: MlflowResource
) -> Any:
    import mlflow

    from ml.tracking import log_clustering

    store = lake.lake()
    window = context.partition_time_window
    suites = {path: suite.fresh() for path, suite in SUITES.items()}
    experiment = mlflow_tracking.connect(store, EXPERIMENT)
    month, end = window.start.date(), window.end.date()
    months: list[dict[str, Any]] = []
    written: dict[str, list[WriteResult]] = {path: [] for path in SUITES}
    while month < end:
        clusters = _cluster(store, month)
        for table, rows in (
            (GOLD_METER_CLUSTERS, clusters.meters),
            (GOLD_CLUSTER_CENTROIDS, clusters.centroids),
        ):
            suites[table.path].observe(rows)
            written[table.path].append(
                store.replace_window(table, rows, month, _month_after(month))
            )
        with mlflow.start_run(experiment_id=experiment, run_name=f"clusters {month:%Y-%m}"):
            run_id = log_clustering(
                clusters, {"dagster_run_id": context.run_id, "month": f"{month:%Y-%m}"}
            )
        fit = clusters.segmentation
        months.append(
            {
                "month": f"{month:%Y-%m}",
                "k": fit.k,
                "silhouette": None if math.isnan(fit.silhouette) else round(fit.silhouette, 4),
                "adjusted_rand_customer_type": clusters.type_agreement,
                "mlflow_run_id": run_id,
            }
        )
        month = _month_after(month)
    for path, results in written.items():
        last = results[-1]
        total = WriteResult(
            path, sum(r.rows for r in results), last.version, sum(r.seconds for r in results)
        )
        yield dg.MaterializeResult(
            asset_key=suites[path].asset_key,
            metadata={
                **write_metadata(total, window.start.date(), end),
                "months": dg.MetadataValue.json(months),
            },
        )
    for suite in suites.values():
        yield from suite.results()


def build(partitioning: Partitioning) -> DomainDefs:
    """The segments of each month of the lake."""
    months = partitioning.monthly
    clusters = dg.multi_asset(
        specs=[
            dg.AssetSpec(
                key(GOLD_METER_CLUSTERS),
                deps=[key(GOLD_CONSUMPTION_FEATURES)],
                description=(
                    "Each meter's load-profile segment in the month: KMeans on its normalised "
                    "working/non-working day profile (k by silhouette), DBSCAN outliers, ids "
                    "stable across months, the previous month's cluster. "
                    f"Grain: {GOLD_METER_CLUSTERS.grain}."
                ),
                kinds={"delta", "scikitlearn", "mlflow"},
            ),
            dg.AssetSpec(
                key(GOLD_CLUSTER_CENTROIDS),
                deps=[key(GOLD_CONSUMPTION_FEATURES)],
                description=(
                    "Each cluster's mean normalised profile by local hour and day type. "
                    f"Grain: {GOLD_CLUSTER_CENTROIDS.grain}."
                ),
                kinds={"delta"},
            ),
        ],
        name="meter_clusters",
        group_name="segments",
        partitions_def=months,
        backfill_policy=SINGLE_RUN,
        check_specs=[spec for suite in SUITES.values() for spec in suite.specs(months)],
    )(meter_clusters)
    return DomainDefs(assets=[clusters])
