"""The partitionings of the definitions, built once from the definition settings: UTC days from
the start date for the lake, months for the segments, training periods of the cadence for the
model, and target days (today and tomorrow too) for the forecasts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import dagster as dg

from energy_assets.settings import DefinitionSettings

SINGLE_RUN = dg.BackfillPolicy.single_run()
SHORTEST_PERIOD_DAYS = {"daily": 1, "weekly": 7, "monthly": 28}
"""The fewest days in a training period of each cadence."""


def _training_periods(cadence: str, first: str) -> dg.TimeWindowPartitionsDefinition:
    """Training periods in UTC (weeks run Monday to Sunday); keys are their first days. The
    current period is a partition from its first day (it only needs data from before it)."""
    if cadence == "daily":
        return dg.DailyPartitionsDefinition(start_date=first, timezone="UTC", end_offset=1)
    if cadence == "monthly":
        return dg.MonthlyPartitionsDefinition(start_date=first, timezone="UTC", end_offset=1)
    return dg.WeeklyPartitionsDefinition(
        start_date=first, timezone="UTC", day_offset=1, end_offset=1
    )


@dataclass(frozen=True)
class Partitioning:
    """Every partitioning the domains declare, from one set of definition settings."""

    daily: dg.DailyPartitionsDefinition
    monthly: dg.MonthlyPartitionsDefinition
    training_periods: dg.TimeWindowPartitionsDefinition
    forecast_days: dg.DailyPartitionsDefinition
    """Target days: the lake's days, today and tomorrow (the day-ahead target)."""
    cadence: str

    @classmethod
    def from_settings(cls, settings: DefinitionSettings) -> Partitioning:
        first = settings.start_date.isoformat()
        return cls(
            daily=dg.DailyPartitionsDefinition(start_date=first, timezone="UTC"),
            monthly=dg.MonthlyPartitionsDefinition(start_date=first, timezone="UTC"),
            training_periods=_training_periods(settings.training_cadence, first),
            forecast_days=dg.DailyPartitionsDefinition(
                start_date=first, timezone="UTC", end_offset=2
            ),
            cadence=settings.training_cadence,
        )

    @property
    def shortest_period_days(self) -> int:
        return SHORTEST_PERIOD_DAYS[self.cadence]


def lookback(
    days: int, end_offset: int = 0, *, allow_missing: bool = True
) -> dg.TimeWindowPartitionMapping:
    """Depend on the upstream partitions from `days` before the downstream's through `end_offset`
    (0: the same one; -1: the one before), in the downstream's partitions. `allow_missing`
    tolerates upstream partitions before the start (lags reaching before the first day)."""
    return dg.TimeWindowPartitionMapping(
        start_offset=-days,
        end_offset=end_offset,
        allow_nonexistent_upstream_partitions=allow_missing,
    )


def run_window(context: dg.AssetExecutionContext) -> tuple[date, date]:
    """The half-open window of UTC days [start, end) this run materializes (one day or a range)."""
    window = context.partition_time_window
    return window.start.date(), window.end.date()


TRAINING_CADENCE = "training_cadence"
"""The definition metadata naming the cadence an asset was built with: what its body reads."""


def training_cadence(context: dg.AssetExecutionContext) -> str:
    """The training cadence the running asset was declared with (its `training_cadence`
    metadata), so a run follows the partitions its definitions were built from."""
    for spec in context.assets_def.specs:
        if TRAINING_CADENCE in spec.metadata:
            return str(spec.metadata[TRAINING_CADENCE])
    raise ValueError(f"{context.assets_def.key.to_user_string()} declares no {TRAINING_CADENCE}")
