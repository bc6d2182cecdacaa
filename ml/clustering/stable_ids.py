"""Cluster ids that stay put from month to month.

KMeans numbers its clusters arbitrarily on every fit. Each new centroid is matched to one of the
previous month's (the assignment with the least total distance, Hungarian method) and takes its
id; a centroid left without a partner (k grew) gets an id never used before. An id whose cluster
vanished (k shrank) is not reused.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment


def stable_ids(
    centroids: npt.NDArray[np.float64],
    previous: dict[int, npt.NDArray[np.float64]],
    next_free: int = 0,
) -> list[int]:
    """The id of each new centroid (row of `centroids`), given the previous month's centroids
    by id; fresh ids start at `next_free` or after the largest previous id, whichever is higher."""
    ids: list[int | None] = [None] * len(centroids)
    if previous and len(centroids):
        known = sorted(previous)
        before = np.stack([previous[i] for i in known])
        cost = np.linalg.norm(centroids[:, None, :] - before[None, :, :], axis=2)
        for new, old in zip(*linear_sum_assignment(cost), strict=True):
            ids[new] = known[old]
    fresh = max([next_free, *(i + 1 for i in previous)])
    result: list[int] = []
    for found in ids:
        if found is None:
            result.append(fresh)
            fresh += 1
        else:
            result.append(found)
    return result
