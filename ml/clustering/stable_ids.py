"""Cluster ids that stay put from month to month.

KMeans numbers its clusters arbitrarily on every fit. Each new centroid takes the id of the
previous month's centroid nearest to it, closest pairs first: the pair of new and previous
centroids at the least distance is matched, both leave the pool, and so on. (The assignment with
the least *total* distance is not used: when a small cluster's members change, it can hand a
large, settled cluster the small one's id to save a little distance overall.) A centroid left
without a partner (k grew) gets an id never used before; an id whose cluster vanished (k shrank)
is not reused.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def stable_ids(
    centroids: npt.NDArray[np.float64],
    previous: dict[int, npt.NDArray[np.float64]],
    next_free: int = 0,
) -> list[int]:
    """The id of each new centroid (row of `centroids`), given the previous month's centroids
    by id; fresh ids start at `next_free` or after the largest previous id, whichever is higher."""
    ids: dict[int, int] = {}
    if previous and len(centroids):
        known = sorted(previous)
        before = np.stack([previous[i] for i in known])
        distance = np.linalg.norm(centroids[:, None, :] - before[None, :, :], axis=2)
        taken: set[int] = set()
        for flat in np.argsort(distance, axis=None, kind="stable"):
            new, old = divmod(int(flat), len(known))
            if new not in ids and old not in taken:
                ids[new] = known[old]
                taken.add(old)
    fresh = max([next_free, *(i + 1 for i in previous)])
    result: list[int] = []
    for new in range(len(centroids)):
        if new in ids:
            result.append(ids[new])
        else:
            result.append(fresh)
            fresh += 1
    return result
