"""Running the project's assets for tests, as `energy-lake backfill` does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from energy_assets.definitions import defs

DIMENSIONS = [dg.AssetKey(["bronze", "meters"]), dg.AssetKey(["silver", "meters"])]
LAKE_LAYERS = dg.AssetSelection.groups("bronze", "silver", "gold")


def materialize_dimensions(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        defs.assets, instance=instance, resources=defs.resources, selection=DIMENSIONS
    )


def materialize_days(
    instance: dg.DagsterInstance, first: date, last: date, raise_on_error: bool = True
) -> dg.ExecuteInProcessResult:
    """One run over the days [first, last] of every partitioned bronze, silver and gold asset."""
    return dg.materialize(
        defs.assets,
        instance=instance,
        resources=defs.resources,
        selection=LAKE_LAYERS - dg.AssetSelection.assets(*DIMENSIONS),
        tags={
            ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
        },
        raise_on_error=raise_on_error,
    )


@contextmanager
def built_lake(
    root: Path, first: date, last: date, env: dict[str, str]
) -> Iterator[dg.DagsterInstance]:
    """A lake and Dagster instance under `root` (6 simulated meters, MLflow in the lake's own
    store, plus `env`) with every lake layer built over [first, last]; for module fixtures, so the
    environment holds until the block ends."""
    (root / "lake").mkdir()
    (root / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "ENERGY_LAKE_ROOT": str(root / "lake"),
            "DAGSTER_HOME": str(root),
            "ENERGY_SIM_METERS": "6",
            "ENERGY_SOURCES": "simulator",
            **env,
        }.items():
            patch.setenv(name, value)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        with dg.DagsterInstance.get() as instance:
            assert materialize_dimensions(instance).success
            assert materialize_days(instance, first, last).success
            yield instance
