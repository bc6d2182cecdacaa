"""Running the project's assets for tests, as `energy-lake backfill` does."""

from __future__ import annotations

from datetime import date

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from energy_assets.definitions import ASSETS, defs

DIMENSIONS = [dg.AssetKey(["bronze", "meters"]), dg.AssetKey(["silver", "meters"])]
LAKE_LAYERS = dg.AssetSelection.groups("bronze", "silver", "gold")


def materialize_dimensions(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return dg.materialize(ASSETS, instance=instance, resources=defs.resources, selection=DIMENSIONS)


def materialize_days(
    instance: dg.DagsterInstance, first: date, last: date, raise_on_error: bool = True
) -> dg.ExecuteInProcessResult:
    """One run over the days [first, last] of every partitioned bronze, silver and gold asset."""
    return dg.materialize(
        ASSETS,
        instance=instance,
        resources=defs.resources,
        selection=LAKE_LAYERS - dg.AssetSelection.assets(*DIMENSIONS),
        tags={
            ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
        },
        raise_on_error=raise_on_error,
    )
