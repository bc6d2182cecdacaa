"""What a domain of `defs/` contributes to the definitions, as its `build(partitioning)` returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class DomainDefs:
    """One domain's assets, checks, jobs, schedules and sensors."""

    assets: Sequence[dg.AssetsDefinition] = ()
    asset_checks: Sequence[dg.AssetChecksDefinition] = ()
    jobs: Sequence[dg.UnresolvedAssetJobDefinition | dg.JobDefinition] = ()
    schedules: Sequence[dg.ScheduleDefinition] = ()
    sensors: Sequence[dg.SensorDefinition] = ()

    def __add__(self, other: DomainDefs) -> DomainDefs:
        return DomainDefs(
            [*self.assets, *other.assets],
            [*self.asset_checks, *other.asset_checks],
            [*self.jobs, *other.jobs],
            [*self.schedules, *other.schedules],
            [*self.sensors, *other.sensors],
        )
