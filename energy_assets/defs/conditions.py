"""Declarative automation: silver, gold and any asset declaring `follows_parents()` (anomalies,
marts) follow their parents, day by day; `lake_automation` evaluates them all.

Why neither built-in fits: `AutomationCondition.eager()` and `on_cron()` consider only the latest
daily partition, so a landing file or a re-run for a past day would leave silver and gold stale;
`on_cron` also waits for every parent to update, which a day rebuilt by one file never does.
`follows_parents` is eager's logic without the latest-window restriction and without
`newly_missing` (which would start building every empty day since the start date): a day is
requested when a parent day it depends on is updated, once its parents are present and nothing it
needs is running. A run that already plans the child (a backfill, the landing sensor's run) does
not trigger it a second time.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

LAKE_GROUPS = ("bronze", "silver", "gold")
"""The lake layers: what the daily run and landing runs build together, day by day."""


def follows_parents(
    *,
    not_triggered_by: Sequence[dg.AssetKey] = (),
    may_miss: Sequence[dg.AssetKey] = (),
) -> dg.AutomationCondition:
    """Request a partition when a parent it depends on is updated.

    `not_triggered_by`: parents whose updates do not trigger (the meters dimension: a new meter
    description would otherwise rebuild every day of history). `may_miss`: parents whose missing
    partitions do not block (lags reaching before the first loaded day).
    """
    updated = dg.AutomationCondition.any_deps_updated()
    if not_triggered_by:
        updated = updated.ignore(dg.AssetSelection.assets(*not_triggered_by))
    missing = dg.AutomationCondition.any_deps_missing()
    if may_miss:
        missing = missing.ignore(dg.AssetSelection.assets(*may_miss))
    return (
        updated.since_last_handled()
        & ~missing
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    ).with_label("follows_parents")


lake_automation_sensor = dg.AutomationConditionSensorDefinition(
    "lake_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Evaluates every asset's automation condition (silver, gold and what declares "
    "`follows_parents` follow their parents day by day).",
)
