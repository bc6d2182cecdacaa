"""Dagster resources: where the lake is."""

from __future__ import annotations

import dagster as dg

from energy_assets.lake import Lake


class LakeResource(dg.ConfigurableResource):
    """The lake root; empty means `ENERGY_LAKE_ROOT`, else `lake/` in the working directory."""

    root: str = ""

    def lake(self) -> Lake:
        return Lake(root=self.root) if self.root else Lake.from_env()
