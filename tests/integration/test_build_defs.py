"""`build_defs` takes resources from the caller, so a test needs no environment to pick a lake."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from checks.contracts import BRONZE_METERS
from energy_assets.defs.build import build_defs
from energy_assets.defs.resources import LakeResource
from energy_assets.storage.lake import Lake


def test_a_lake_resource_override_decides_where_assets_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENERGY_SIM_METERS", "3")
    monkeypatch.setenv("ENERGY_TRACK_EMISSIONS", "0")
    root = tmp_path / "elsewhere"
    defs = build_defs(resource_overrides={"lake": LakeResource(root=str(root))})
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey(["bronze", "meters"])]
        )
    assert result.success
    assert Lake(str(root)).read(BRONZE_METERS).num_rows == 3
