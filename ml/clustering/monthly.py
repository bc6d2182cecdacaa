"""One month's segmentation as lake rows: `gold/meter_clusters` and `gold/cluster_centroids`.

Every meter seen in the month gets a row, with a cluster, as an outlier, or with the reason it
has no profile. Cluster ids follow the previous month's centroids (`stable_ids`), and each row
carries the meter's previous cluster so a change of habits is one filter away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from checks.contracts import GOLD_CLUSTER_CENTROIDS, GOLD_METER_CLUSTERS
from checks.contracts.vocabularies import PROFILE_DAY_TYPES
from ml.clustering.profiles import (
    HOURS,
    PROFILE_LENGTH,
    REASON_TOO_FEW_DAYS,
    hourly_energy,
    meter_profiles,
)
from ml.clustering.segmentation import Segmentation, agreement, segment
from ml.clustering.stable_ids import stable_ids

CLUSTERED = "clustered"
OUTLIER = "outlier"
PROFILED = (CLUSTERED, OUTLIER)
"""Statuses of a meter that had a profile: between two of them a change of cluster means
something (a meter without enough data that month has not changed habits)."""


@dataclass(frozen=True)
class MonthlyClusters:
    meters: pa.Table
    """Rows of `gold/meter_clusters`."""
    centroids: pa.Table
    """Rows of `gold/cluster_centroids`."""
    segmentation: Segmentation
    cluster_ids: list[int]
    """The stable id of each of the segmentation's centroids."""
    type_agreement: float | None
    """Adjusted Rand index against the meters' customer types, when every profiled meter has one."""


def previous_centroids(rows: pl.DataFrame) -> dict[int, npt.NDArray[np.float64]]:
    """Centroid profiles by cluster id from `gold/cluster_centroids` rows of one month."""
    ordered = rows.with_columns(
        slot=pl.col("local_hour").cast(pl.Int64)
        + pl.when(pl.col("day_type") == PROFILE_DAY_TYPES[0]).then(0).otherwise(HOURS)
    ).sort("cluster_id", "slot")
    return {
        int(cid): group["relative_load"].to_numpy().astype(np.float64)
        for (cid,), group in ordered.group_by("cluster_id", maintain_order=True)
        if len(group) == PROFILE_LENGTH
    }


def cluster_month(
    features: pl.DataFrame,
    month_start: date,
    previous_meters: pl.DataFrame,
    previous: dict[int, npt.NDArray[np.float64]],
    next_free: int = 0,
) -> MonthlyClusters:
    """Cluster the meters of `features` (a month of `gold/consumption_features` rows) and build
    the month's rows; `previous_meters` and `previous` are the previous month's
    `gold/meter_clusters` rows and centroids (empty in the first month), `next_free` the first id
    never used in any earlier month."""
    profiles = meter_profiles(hourly_energy(features))
    fit = segment(profiles.shapes)
    ids = stable_ids(fit.centroids, previous, next_free)
    labels = [ids[i] if i >= 0 else None for i in fit.labels]
    clustered = pl.DataFrame(
        {
            "meter_id": profiles.meter_ids,
            "cluster_id": labels,
            "status": [CLUSTERED if i >= 0 else OUTLIER for i in fit.labels],
            "distance_to_centroid": fit.distances,
            "level_kwh": profiles.level_kwh,
            "working_days": profiles.working_days,
            "non_working_days": profiles.non_working_days,
        },
        schema_overrides={"cluster_id": pl.Int32, "meter_id": pl.String},
    )
    # A meter with no complete hour at all is absent from the profiles' inputs.
    seen = features["meter_id"].cast(pl.String).unique().to_list()
    reasons = {m: REASON_TOO_FEW_DAYS for m in seen} | profiles.without_profile
    profiled = set(profiles.meter_ids)
    unprofiled = pl.DataFrame(
        {
            "meter_id": [m for m in reasons if m not in profiled],
            "status": [r for m, r in reasons.items() if m not in profiled],
        },
        schema={"meter_id": pl.String, "status": pl.String},
    )
    types = features.select(
        pl.col("meter_id").cast(pl.String), pl.col("customer_type").cast(pl.String)
    ).unique("meter_id")
    previous_rows = previous_meters.select(
        pl.col("meter_id").cast(pl.String),
        pl.col("cluster_id").alias("previous_cluster_id"),
        pl.col("status").alias("previous_status"),
    )
    rows = (
        pl.concat([clustered, unprofiled], how="diagonal_relaxed")
        .join(types, on="meter_id", how="left")
        .join(previous_rows, on="meter_id", how="left")
        .with_columns(
            is_cluster_change=(
                pl.col("previous_status").is_in(PROFILED)
                & pl.col("status").is_in(PROFILED)
                & pl.col("cluster_id").ne_missing(pl.col("previous_cluster_id"))
            ).fill_null(False),
            working_days=pl.col("working_days").fill_null(0),
            non_working_days=pl.col("non_working_days").fill_null(0),
            clusters=pl.lit(fit.k),
            silhouette=pl.lit(None if np.isnan(fit.silhouette) else fit.silhouette),
            day=pl.lit(month_start),
        )
        .sort("meter_id")
    )
    truth = dict(zip(types["meter_id"], types["customer_type"], strict=True))
    known = [str(truth.get(m)) for m in profiles.meter_ids if truth.get(m) is not None]
    return MonthlyClusters(
        meters=_conform(rows, GOLD_METER_CLUSTERS.schema),
        centroids=_centroid_rows(fit, ids, month_start),
        segmentation=fit,
        cluster_ids=ids,
        type_agreement=(
            agreement(fit.labels, known)
            if known and len(known) == len(profiles.meter_ids)
            else None
        ),
    )


def _centroid_rows(fit: Segmentation, ids: list[int], month_start: date) -> pa.Table:
    slots = np.arange(PROFILE_LENGTH)
    frame = pl.DataFrame(
        {
            "cluster_id": np.repeat(ids, PROFILE_LENGTH),
            "day_type": np.tile(np.array(PROFILE_DAY_TYPES)[slots // HOURS], fit.k),
            "local_hour": np.tile(slots % HOURS, fit.k),
            "relative_load": fit.centroids.reshape(-1),
            "meters": np.repeat(fit.meters, PROFILE_LENGTH),
            "day": [month_start] * (fit.k * PROFILE_LENGTH),
        },
        schema_overrides={"day_type": pl.String, "day": pl.Date},
    ).filter(pl.col("meters") > 0)
    return _conform(frame, GOLD_CLUSTER_CENTROIDS.schema)


def _conform(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    return frame.select(schema.names).to_arrow().cast(schema)
