"""Does a meter's load-profile cluster help the day-ahead model? The backtest with and without it.

    .venv/bin/python -m bench.cluster_feature --root /tmp/cluster-feature --meters 30 --days 200

builds (or reuses) a simulated lake as `bench.backtest` does, clusters every meter's normalised
profile (`ml.clustering`: DBSCAN outliers, then KMeans by silhouette) over the `--profile-days`
before the first replayed week, so every replayed forecast could have known its cluster, and
replays the same weekly periods twice with the production rules: once with the model's inputs as
they are, once with the cluster id added to them (an outlier or a meter without a profile: -1).
It prints both runs' figures side by side. An experiment, not a feature: the second run adds one
column to `ml.forecasting.inputs.MODEL_INPUTS` for its duration only.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from unittest import mock

import polars as pl

from bench.backtest import WARM_UP_DAYS, _build
from bench.lakehouse import ISSUE_HOUR_UTC
from checks.contracts import GOLD_CONSUMPTION_FEATURES
from energy_assets.storage.lake import Lake
from ml.clustering.profiles import hourly_energy, meter_profiles
from ml.clustering.segmentation import segment
from ml.forecasting import inputs
from ml.forecasting.backtest import run_backtest
from ml.forecasting.inputs import GOLD_COLUMNS, LEVEL_DAYS
from ml.forecasting.model import TrainingParams
from ml.forecasting.periods import period_start

NO_CLUSTER = -1
SHOWN = (
    ("meter MAPE %", "mape"),
    ("region MAPE %", "region_mape"),
    ("MAE kWh", "mae"),
    ("P10-P90 coverage %", "coverage_p10_p90"),
    ("skill vs best baseline", "skill_vs_best_baseline"),
    ("meters with positive skill %", "meters_positive_skill_pct"),
)


def meter_clusters(features: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """`meter_id`, `cluster_id` of every meter, from its profile over [start, end)."""
    window = features.filter((pl.col("day") >= start) & (pl.col("day") < end))
    profiles = meter_profiles(hourly_energy(window))
    labels: list[int] = (
        [int(label) for label in segment(profiles.shapes).labels] if profiles.meter_ids else []
    )
    clustered = pl.DataFrame(
        {"meter_id": profiles.meter_ids, "cluster_id": labels},
        schema={"meter_id": pl.String, "cluster_id": pl.Int64},
    )
    meters = features.select(pl.col("meter_id").cast(pl.String)).unique()
    return meters.join(clustered, on="meter_id", how="left").with_columns(
        pl.col("cluster_id").fill_null(NO_CLUSTER)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="lake to build or reuse")
    parser.add_argument("--meters", type=int, default=30)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1))
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--profile-days", type=int, default=56)
    args = parser.parse_args()
    end = args.start + timedelta(days=args.days)
    _build(args.root, args.meters, args.start, end)
    ready = args.start + timedelta(days=WARM_UP_DAYS + LEVEL_DAYS + 1)
    first_period = period_start(ready + timedelta(days=6), "weekly")
    read = pl.from_arrow(Lake(args.root).read(GOLD_CONSUMPTION_FEATURES, args.start, end))
    assert isinstance(read, pl.DataFrame)
    features = read.with_columns(pl.col("meter_id").cast(pl.String))
    clusters = meter_clusters(
        features, first_period - timedelta(days=args.profile_days), first_period
    )
    params = TrainingParams()
    without = run_backtest(
        features.select(GOLD_COLUMNS), params, ISSUE_HOUR_UTC, "weekly", first_period
    )
    with_cluster = features.select(GOLD_COLUMNS).join(clusters, on="meter_id", how="left")
    with mock.patch.object(inputs, "MODEL_INPUTS", (*inputs.MODEL_INPUTS, "cluster_id")):
        clustered = run_backtest(with_cluster, params, ISSUE_HOUR_UTC, "weekly", first_period)
    if isinstance(without, str) or isinstance(clustered, str):
        raise SystemExit(f"no backtest: {without if isinstance(without, str) else clustered}")
    sizes = clusters.group_by("cluster_id").len().sort("cluster_id")
    print(
        f"{args.meters} meters, {clusters['cluster_id'].n_unique()} clusters "
        f"({dict(sizes.iter_rows())}), weeks from {first_period}, "
        f"{without.periods['trained'].sum()} weekly models each"
    )
    print(f"{'':<30}{'without':>10}{'with cluster':>14}")
    for label, name in SHOWN:
        print(f"{label:<30}{without.metrics[name]:>10.3f}{clustered.metrics[name]:>14.3f}")


if __name__ == "__main__":
    main()
