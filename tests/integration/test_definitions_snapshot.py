"""The definitions' shape against a stored snapshot, so a refactor shows what it changed.

The snapshot lists asset keys with their group, partitioning, backfill policy, dependencies and
partition mappings, the asset checks declared in Python (the marts' checks are dbt's tests, listed
by dbt), jobs, schedules and sensors. After an intended change,
regenerate it with `UPDATE_DEFINITIONS_SNAPSHOT=1 .venv/bin/pytest -q tests/integration/
test_definitions_snapshot.py` and review the diff of `tests/fixtures/definitions_snapshot.json`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dagster as dg

from energy_assets.definitions import defs

SNAPSHOT = Path(__file__).parents[1] / "fixtures" / "definitions_snapshot.json"


def _partitions(partitions: dg.PartitionsDefinition | None) -> str | None:
    if partitions is None:
        return None
    if isinstance(partitions, dg.TimeWindowPartitionsDefinition):
        return f"{type(partitions).__name__}(cron={partitions.cron_schedule!r}, tz=UTC)"
    return type(partitions).__name__


def _mapping(mapping: dg.PartitionMapping | None) -> str | None:
    if mapping is None:
        return None
    if isinstance(mapping, dg.TimeWindowPartitionMapping):
        return (
            f"TimeWindowPartitionMapping(start_offset={mapping.start_offset}, "
            f"end_offset={mapping.end_offset}, "
            f"allow_nonexistent={mapping.allow_nonexistent_upstream_partitions})"
        )
    return type(mapping).__name__


def definitions_shape(definitions: dg.Definitions) -> dict[str, Any]:
    """What the definitions declare, as plain sorted data (no start dates: they are settings)."""
    graph = definitions.resolve_asset_graph()
    assets: dict[str, Any] = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets_def = graph.assets_def_for_key(key)
        policy = assets_def.backfill_policy
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "partitions": _partitions(node.partitions_def),
            "backfill_policy": policy.policy_type.value if policy else None,
            "deps": {
                parent.to_user_string(): _mapping(assets_def.get_partition_mapping_for_dep(parent))
                for parent in sorted(node.parent_keys, key=lambda k: k.to_user_string())
            },
        }
    checks = sorted(
        f"{check_key.asset_key.to_user_string()}:{check_key.name}"
        for check_key in graph.asset_check_keys
        if check_key.asset_key.path[0] != "marts"
    )
    repository = definitions.get_repository_def()
    return {
        "assets": assets,
        "checks": checks,
        "jobs": sorted(job.name for job in repository.get_all_jobs()),
        "schedules": sorted(s.name for s in repository.schedule_defs),
        "sensors": sorted(s.name for s in repository.sensor_defs),
    }


def test_definitions_match_the_stored_snapshot() -> None:
    shape = definitions_shape(defs)
    text = json.dumps(shape, indent=1, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_DEFINITIONS_SNAPSHOT"):
        SNAPSHOT.write_text(text)
    assert json.loads(SNAPSHOT.read_text()) == shape
