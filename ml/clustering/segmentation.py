"""Clusters of load profiles: DBSCAN sets aside meters that fit no group, KMeans groups the rest.

DBSCAN runs first so an odd meter never drags a centroid: its neighbourhood radius is
`OUTLIER_FACTOR` times the median distance of a profile to its `MIN_SAMPLES`-th nearest
neighbour (itself counting as the first, as in DBSCAN's `min_samples`), so a meter is an
outlier when it is several times further from its neighbours than meters usually are. KMeans
then tries every k of `K_RANGE` on the remaining profiles and keeps the one with the best
silhouette.

scikit-learn is imported by the functions that fit: the Dagster definitions import this module,
and every process loading them (`energy-lake`, a code server, a step process) would pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from sklearn.cluster import KMeans

K_RANGE = (2, 8)
"""The numbers of clusters tried (inclusive), capped by the number of profiles."""
MIN_SAMPLES = 3
"""DBSCAN: profiles within the radius (the meter included) that make a meter a core point."""
OUTLIER_FACTOR = 3.0
"""DBSCAN's radius as a multiple of the median distance to the `MIN_SAMPLES`-th neighbour."""
SEED = 0


@dataclass(frozen=True)
class Segmentation:
    labels: npt.NDArray[np.int64]
    """Cluster index (0..k-1) of each profile, -1 for an outlier."""
    centroids: npt.NDArray[np.float64]
    """(k, profile length): each cluster's mean profile."""
    distances: npt.NDArray[np.float64]
    """Distance of each profile to its cluster's centroid (to the nearest one for an outlier)."""
    silhouette: float
    """Mean silhouette of the chosen k (NaN when fewer than 3 profiles could be clustered)."""
    silhouettes: dict[int, float]
    """Mean silhouette of every k tried."""
    radius: float
    """DBSCAN's neighbourhood radius."""

    @property
    def k(self) -> int:
        return len(self.centroids)

    @property
    def meters(self) -> npt.NDArray[np.int64]:
        """Profiles in each cluster (outliers in none)."""
        return np.bincount(self.labels[self.labels >= 0], minlength=self.k).astype(np.int64)


def outliers(shapes: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.bool_], float]:
    """Which profiles DBSCAN leaves out of every dense group, and the radius it used."""
    from sklearn.cluster import DBSCAN
    from sklearn.neighbors import NearestNeighbors

    if len(shapes) <= MIN_SAMPLES:
        return np.zeros(len(shapes), dtype=np.bool_), float("nan")
    neighbours = NearestNeighbors(n_neighbors=MIN_SAMPLES).fit(shapes)
    k_distance = neighbours.kneighbors(shapes)[0][:, -1]
    radius = OUTLIER_FACTOR * float(np.median(k_distance))
    if radius <= 0.0:
        return np.zeros(len(shapes), dtype=np.bool_), radius
    labels = DBSCAN(eps=radius, min_samples=MIN_SAMPLES).fit_predict(shapes)
    return labels == -1, radius


def segment(shapes: npt.NDArray[np.float64], k_range: tuple[int, int] = K_RANGE) -> Segmentation:
    """Outliers by DBSCAN, then KMeans with the k of `k_range` that has the best silhouette."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    is_outlier, radius = outliers(shapes)
    inliers = shapes[~is_outlier]
    low, high = k_range[0], min(k_range[1], len(inliers) - 1)
    silhouettes: dict[int, float] = {}
    fits: dict[int, KMeans] = {}
    for k in range(low, high + 1):
        model = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit(inliers)
        if len(set(model.labels_)) < 2:
            continue
        fits[k] = model
        silhouettes[k] = float(silhouette_score(inliers, model.labels_))
    if fits:
        best = max(silhouettes, key=lambda k: silhouettes[k])
        centroids = fits[best].cluster_centers_
        silhouette = silhouettes[best]
    else:
        centroids = inliers.mean(axis=0, keepdims=True) if len(inliers) else shapes[:0]
        silhouette = float("nan")
    if not len(centroids):
        empty = np.full(len(shapes), -1, dtype=np.int64)
        return Segmentation(empty, centroids, np.full(len(shapes), np.nan), silhouette, {}, radius)
    gaps = np.linalg.norm(shapes[:, None, :] - centroids[None, :, :], axis=2)
    nearest = gaps.argmin(axis=1)
    labels = np.where(is_outlier, -1, nearest).astype(np.int64)
    return Segmentation(
        labels=labels,
        centroids=np.asarray(centroids, dtype=np.float64),
        distances=gaps[np.arange(len(shapes)), nearest],
        silhouette=silhouette,
        silhouettes=silhouettes,
        radius=radius,
    )


def agreement(labels: npt.ArrayLike, truth: npt.ArrayLike) -> float:
    """Adjusted Rand index of the clusters (outliers as one more group) against known types:
    1 is the same partition, about 0 a random one."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(np.asarray(truth), np.asarray(labels)))
