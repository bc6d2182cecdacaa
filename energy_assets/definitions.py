"""The Dagster `Definitions` that `workspace.yaml`, `dagster dev` and `energy-lake` load."""

from energy_assets.defs.build import build_defs

defs = build_defs()
